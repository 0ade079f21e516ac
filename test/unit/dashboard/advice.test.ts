import { whatToDo } from "../../../shared/dashboard/advice";

describe("whatToDo", () => {
  it.each([
    [
      "Failed",
      "22720: Enabling Change Feed on a table without primary key is not allowed.",
      /^Add a primary key to it, then onboard it again\.$/,
    ],
    [
      "Failed",
      "SourceTableNotFound: Source table [dbo].[X] does not exist in the source database.",
      /^Check its schema and name/,
    ],
    ["Failed", "The target table is not empty", /^Empty the target table/],
    ["Failed", "22718: A table can only be enabled once among all table groups", /other link connection/],
    ["Failed", "not Replicating within TABLE_DEADLINE_MINUTES (60)", /Monitor hub/],
    ["Failed", "something nobody has seen", /^Read the error/],
    ["Rejected", "dbo.Legacy is already in link connection other-link", /another link connection/],
    ["Suspended", undefined, /waits for it/],
  ] as const)("%s with %p: %p", (status, error, expected) => {
    expect(whatToDo(status, error)).toMatch(expected);
  });

  it.each(["Pending", "Adding", "Snapshotting", "Replicating", "Removed"] as const)(
    "says nothing for %s",
    (status) => {
      expect(whatToDo(status, undefined)).toBeUndefined();
    },
  );
});
