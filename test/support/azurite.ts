import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";

/** Azurite for the enclosing file or describe block: started before its tests, stopped after them. */
export function useAzurite(): { readonly connectionString: string } {
  let azurite: RunningAzurite | undefined;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  return {
    get connectionString(): string {
      if (azurite === undefined) throw new Error("Azurite is not started");
      return azurite.connectionString;
    },
  };
}
