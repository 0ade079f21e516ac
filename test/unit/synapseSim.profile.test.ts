import {
  DEFAULT_SIM_PROFILE,
  formatSimProfile,
  parseSimProfile,
  simProfileMatrix,
  startSynapseSim,
} from "../../dev/synapse-sim";

describe("synapse-sim profiles", () => {
  test("the default profile follows the recordings where they speak", () => {
    expect(DEFAULT_SIM_PROFILE).toEqual({
      ids: "echo",
      enabledOnce: "badRequest",
      applying: "absent",
      waiting: "Waiting",
      permanentErrors: "failedStatus",
      errorShape: "topLevel",
      editAnswer: "wholeLink",
      duplicateAdd: "refused",
    });
  });

  test("parseSimProfile sets the named answers and keeps the defaults for the rest", () => {
    expect(parseSimProfile("ids:undashed, enabledOnce:failedStatus")).toEqual({
      ...DEFAULT_SIM_PROFILE,
      ids: "undashed",
      enabledOnce: "failedStatus",
    });
  });

  test("an empty profile text is the default profile", () => {
    expect(parseSimProfile("")).toEqual(DEFAULT_SIM_PROFILE);
  });

  test("an unknown key is an error naming it and the known keys", () => {
    expect(() => parseSimProfile("idz:undashed")).toThrow(/unknown key 'idz'.*ids, enabledOnce/);
  });

  test("an unknown value is an error naming the key, the value and the allowed answers", () => {
    expect(() => parseSimProfile("waiting:Queued")).toThrow(
      "simulator profile: unknown value 'Queued' for 'waiting'; use one of Waiting, WaitingForSnapshot",
    );
  });

  test("an item without a colon is an error naming it", () => {
    expect(() => parseSimProfile("undashed")).toThrow(/'undashed' is not key:value/);
  });

  test("startSynapseSim refuses a bad profile object naming the bad value", async () => {
    // Deliberately outside the type, as a JavaScript caller or a JSON file could pass it.
    await expect(startSynapseSim({ profile: { applying: "sometimes" as "absent" } })).rejects.toThrow(
      /unknown value 'sometimes' for 'applying'/,
    );
  });

  test("formatSimProfile writes only the non-default answers, in SIM_PROFILE syntax", () => {
    expect(formatSimProfile(parseSimProfile("errorShape:wrapped,ids:undashed"))).toBe(
      "ids:undashed,errorShape:wrapped",
    );
    expect(formatSimProfile(DEFAULT_SIM_PROFILE)).toBe("");
  });

  test("the matrix is the default plus one profile per non-default answer", () => {
    const matrix = simProfileMatrix();
    expect(matrix.map((m) => m.name)).toEqual([
      "default",
      "ids:undashed",
      "ids:swappedInStatus",
      "enabledOnce:failedStatus",
      "applying:present",
      "waiting:WaitingForSnapshot",
      "permanentErrors:badRequest",
      "errorShape:wrapped",
      "editAnswer:empty",
      "editAnswer:editedOnly",
      "duplicateAdd:enabledOnce",
      "duplicateAdd:kept",
    ]);
    for (const { name, profile } of matrix.slice(1)) expect(formatSimProfile(profile)).toBe(name);
  });
});
