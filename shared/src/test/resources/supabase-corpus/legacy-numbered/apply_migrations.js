// an old runner script kept next to the migrations
console.log("use the migrate tool instead");
