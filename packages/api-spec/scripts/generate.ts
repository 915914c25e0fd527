// Writes src/generated/openapi.ts from openapi.yaml (openapi-typescript), or with `--check`
// fails when the committed file is not what the spec generates now.
//   pnpm --filter @herald/api-spec generate
//   pnpm --filter @herald/api-spec check
import { writeFileSync } from 'node:fs';
import { checkGeneratedTypes, GENERATED_PATH, generateTypes } from '../src/codegen.ts';

if (process.argv.includes('--check')) {
  const state = await checkGeneratedTypes();
  if (!state.upToDate) {
    console.error(state.reason);
    process.exit(1);
  }
  console.log(`${GENERATED_PATH} is up to date with openapi.yaml`);
} else {
  writeFileSync(GENERATED_PATH, await generateTypes());
  console.log(`wrote ${GENERATED_PATH}`);
}
