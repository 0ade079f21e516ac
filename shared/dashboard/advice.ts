import type { TableStatus } from "../domain/tableStatus";
import { classifyTableFailure } from "../synapse/tableFailure";

/**
 * One line on what an operator can do about a table, shown next to its status. Failed tables get
 * the fix the failure classification names (shared/synapse/tableFailure.ts), so the page and the
 * request's error say the same thing.
 */
export function whatToDo(status: TableStatus, error: string | undefined): string | undefined {
  switch (status) {
    case "Failed": {
      const failure = classifyTableFailure(undefined, error);
      if (failure.kind === "permanent") return capitalize(failure.fix.slice(failure.fix.indexOf(": ") + 2));
      if (failure.kind === "nonEmptyTarget")
        return "Empty the target table, or change the link's table option, then onboard it again.";
      if (failure.kind === "enabledElsewhere")
        return "Remove the table from the other link connection, then onboard it again.";
      if (error && /deadline|TABLE_DEADLINE_MINUTES/i.test(error))
        return "Check the link in Synapse Studio's Monitor hub; onboard the table again once the link is healthy.";
      return "Read the error; once its cause is fixed, onboard the table again (reAdd).";
    }
    case "Rejected":
      return "The table belongs to another link connection or is not allowed here: onboard it there, or remove it from the other link first.";
    case "Suspended":
      return "The service suspended the table; the worker waits for it. Check the source database's change feed.";
    default:
      return undefined;
  }
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1).replace(/\.?$/, ".");
