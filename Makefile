# `sam build` runs these targets (template.yaml: Metadata BuildMethod: makefile). One shaded jar serves all five
# functions; Lambda's Java runtime loads jars from lib/ in the deployment package.
LAMBDA_JAR := functions/target/migrate-lambda.jar

$(LAMBDA_JAR):
	./mvnw -q -B -DskipTests package -pl functions -am

build-MigrationStatus build-ApplyMigrations build-RollbackMigrations build-CreateMigration build-SyncData: $(LAMBDA_JAR)
	mkdir -p "$(ARTIFACTS_DIR)/lib"
	cp $(LAMBDA_JAR) "$(ARTIFACTS_DIR)/lib/"

.PHONY: build-MigrationStatus build-ApplyMigrations build-RollbackMigrations build-CreateMigration build-SyncData
