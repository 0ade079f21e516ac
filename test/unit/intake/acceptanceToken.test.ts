import { ACCEPTANCE_VALID_MS, readAcceptance, signAcceptance } from "../../../shared/intake/acceptanceToken";

const key = Buffer.alloc(32, 1);
const accepted = {
  requestId: "r-1",
  workspace: "demo",
  linkConnection: "DEMO-LINK",
  acceptedAt: "2026-01-05T08:00:00.000Z",
};
const at = (ms: number) => new Date(Date.parse(accepted.acceptedAt) + ms);

describe("acceptance tokens", () => {
  const token = signAcceptance(key, accepted);

  it("vouch for the request they were issued for, with its link and time", () => {
    expect(readAcceptance(key, "r-1", token, at(5_000))).toEqual(accepted);
  });

  it.each([
    ["another request id", () => readAcceptance(key, "r-2", token, at(0))],
    ["another key", () => readAcceptance(Buffer.alloc(32, 2), "r-1", token, at(0))],
    [
      "an altered link",
      () =>
        readAcceptance(
          key,
          "r-1",
          `${signAcceptance(key, { ...accepted, workspace: "x" }).split(".")[0]}.${token.split(".")[1]}`,
          at(0),
        ),
    ],
    ["a truncated signature", () => readAcceptance(key, "r-1", token.slice(0, -3), at(0))],
    ["garbage", () => readAcceptance(key, "r-1", "not-a-token", at(0))],
    ["a token older than a day", () => readAcceptance(key, "r-1", token, at(ACCEPTANCE_VALID_MS + 1))],
  ])("vouch for nothing with %s", (_name, read) => {
    expect(read()).toBeUndefined();
  });
});
