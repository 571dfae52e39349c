# The Lambda functions' build for `sam build` (template.yaml: BuildMethod makefile, WorkingDirectory .):
# SAM runs `make build-<LogicalId>` here with ARTIFACTS_DIR set, once per function; scripts/build-lambda.mjs
# bundles that function into it (`npm run build:lambda` builds them all into dist/lambda/ the same way).
# Needs `npm ci` first (esbuild and the packages come from node_modules).

build-%:
	node scripts/build-lambda.mjs --function "$*" --outdir "$(ARTIFACTS_DIR)"
