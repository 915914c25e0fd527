import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { OPENAPI_PATH } from './spec.ts';

/**
 * The TypeScript types of the spec (openapi-typescript), kept in `src/generated/openapi.ts`.
 * Used by `scripts/generate.ts` (write / `--check`) and by `generated.test.ts`; not exported
 * from the package, since openapi-typescript is a build-time tool.
 */
export const GENERATED_PATH = fileURLToPath(new URL('./generated/openapi.ts', import.meta.url));

const NOTE = '// Generated from packages/api-spec/openapi.yaml: run `pnpm --filter @herald/api-spec generate`.\n\n';

/** Renders the types of the spec at `specPath` as the text of `src/generated/openapi.ts`. */
export async function generateTypes(specPath: string = OPENAPI_PATH): Promise<string> {
  const ast = await openapiTS(pathToFileURL(specPath), {
    // A field with a default stays optional in the types: clients may leave it out.
    defaultNonNullable: false,
    silent: true,
  });
  return COMMENT_HEADER + NOTE + astToString(ast);
}

export type GeneratedState = { upToDate: true } | { upToDate: false; reason: string };

/** Compares the committed `src/generated/openapi.ts` with what the spec generates now. */
export async function checkGeneratedTypes(specPath: string = OPENAPI_PATH, generatedPath: string = GENERATED_PATH): Promise<GeneratedState> {
  const expected = await generateTypes(specPath);
  let actual: string;
  try {
    actual = readFileSync(generatedPath, 'utf8');
  } catch {
    return { upToDate: false, reason: `${generatedPath} is missing: run \`pnpm --filter @herald/api-spec generate\`` };
  }
  if (actual === expected) return { upToDate: true };
  const a = actual.split('\n');
  const e = expected.split('\n');
  let line = 0;
  while (line < a.length && line < e.length && a[line] === e[line]) line++;
  return {
    upToDate: false,
    reason:
      `${generatedPath} is stale: openapi.yaml has changed since it was generated ` +
      `(first difference at line ${line + 1}: expected ${JSON.stringify(e[line] ?? '<end of file>')}, ` +
      `found ${JSON.stringify(a[line] ?? '<end of file>')}). Run \`pnpm --filter @herald/api-spec generate\` and commit the result.`,
  };
}
