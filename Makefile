# `sam build` runs these targets (template.yaml: Metadata BuildMethod: makefile). One shaded jar serves all the
# functions; Lambda's Java runtime loads jars from lib/ in the deployment package. The jar depends on every source
# file and build file, so editing one and running `sam build` alone ships the new code (sam build copies the sources
# with their modification times into its scratch folder and runs make there).
LAMBDA_JAR := functions/target/migrate-lambda.jar
SOURCES := $(shell find shared/src/main functions/src/main local/src/main -type f 2>/dev/null) \
           pom.xml shared/pom.xml functions/pom.xml local/pom.xml

$(LAMBDA_JAR): $(SOURCES)
	./mvnw -q -B -DskipTests package -pl functions -am

build-MigrationStatus build-ApplyMigrations build-RollbackMigrations build-CreateMigration build-SyncData \
build-UniversalRunsApi build-SyncRangeWorker: $(LAMBDA_JAR)
	mkdir -p "$(ARTIFACTS_DIR)/lib"
	cp $(LAMBDA_JAR) "$(ARTIFACTS_DIR)/lib/"
	# For `sam local invoke` only (MIGRATIONS_DIR=/var/task/migrations in events/env-vars.json); deployed functions
	# read the bucket.
	if [ -d migrations ]; then cp -r migrations "$(ARTIFACTS_DIR)/"; fi

.PHONY: build-MigrationStatus build-ApplyMigrations build-RollbackMigrations build-CreateMigration build-SyncData \
	build-UniversalRunsApi build-SyncRangeWorker
