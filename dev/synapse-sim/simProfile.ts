// Profiles: one switch per question the real service's recordings leave open, so the app can be tested under every
// plausible answer. The first answer of each key is the default (see README.md, "Profiles", for the evidence).

/** Every profile key with its possible answers; the first answer is the default. */
export const SIM_PROFILE_ANSWERS = {
  /**
   * Link-table ids in linktables / querytablestatus / the edittables response: as sent, or 32 lower-case hex
   * digits, or as sent but in querytablestatus' `linkTableId` field while `id` carries the service's own GUID.
   */
  ids: ["echo", "undashed", "swappedInStatus"],
  /** SQL error 22718 (table in another link, or re-added during the removal clean-up): a 400, or a Failed table. */
  enabledOnce: ["badRequest", "failedStatus"],
  /** detailedstatus.isApplyingChanges: never sent, or sent (true for applyMs after an edit). */
  applying: ["absent", "present"],
  /** The table status before the snapshot starts. */
  waiting: ["Waiting", "WaitingForSnapshot"],
  /** No primary key (22720), unsupported column types (22737), the 5,000-table limit (22753): a Failed table, or a 400. */
  permanentErrors: ["failedStatus", "badRequest"],
  /** Error bodies: `{ code, message, target, details, error: null }` as recorded, or wrapped `{ error: { … } }`. */
  errorShape: ["topLevel", "wrapped"],
  /**
   * The edittables answer: the whole link resource with all its tables, as recorded for a one-table
   * link; the resource listing only the edited tables; or an empty 200 (the spec declares no body).
   */
  editAnswer: ["wholeLink", "empty", "editedOnly"],
  /**
   * An add of a table the link already holds (added in Studio, or by an edit whose answer was lost): a 400 naming
   * the entry (the same id again is a no-op); SQL's "enabled once" (22718) as the enabledOnce key says, a 400 or a
   * second entry that fails; or accepted with the definition unchanged.
   */
  duplicateAdd: ["refused", "enabledOnce", "kept"],
} as const;

type Answers = typeof SIM_PROFILE_ANSWERS;
export type SimProfileKey = keyof Answers;

export type SimProfile = { readonly [K in SimProfileKey]: Answers[K][number] };

export const SIM_PROFILE_KEYS: readonly SimProfileKey[] =
  Object.keys(SIM_PROFILE_ANSWERS).filter(isProfileKey);

export const DEFAULT_SIM_PROFILE: SimProfile = Object.freeze({
  ids: "echo",
  enabledOnce: "badRequest",
  applying: "absent",
  waiting: "Waiting",
  permanentErrors: "failedStatus",
  errorShape: "topLevel",
  editAnswer: "wholeLink",
  duplicateAdd: "refused",
});

export class SimProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimProfileError";
  }
}

function isProfileKey(key: string): key is SimProfileKey {
  return Object.prototype.hasOwnProperty.call(SIM_PROFILE_ANSWERS, key);
}

function isAnswerOf<K extends SimProfileKey>(key: K, value: unknown): value is SimProfile[K] {
  return (SIM_PROFILE_ANSWERS[key] as readonly unknown[]).includes(value);
}

function checkedAnswer<K extends SimProfileKey>(key: K, value: unknown): SimProfile[K] {
  if (isAnswerOf(key, value)) return value;
  throw new SimProfileError(
    `simulator profile: unknown value '${String(value)}' for '${key}'; use one of ${SIM_PROFILE_ANSWERS[key].join(", ")}`,
  );
}

function unknownKey(key: string): SimProfileError {
  return new SimProfileError(
    `simulator profile: unknown key '${key}'; known keys: ${SIM_PROFILE_KEYS.join(", ")}`,
  );
}

/** Sets one answer on a profile under construction, checking key and value. */
function withAnswer(profile: SimProfile, key: string, value: unknown): SimProfile {
  if (!isProfileKey(key)) throw unknownKey(key);
  return { ...profile, [key]: checkedAnswer(key, value) };
}

/**
 * `"ids:undashed,enabledOnce:failedStatus"` → the default profile with those answers. Empty text = the default.
 * Throws naming the unknown key or value.
 */
export function parseSimProfile(text: string): SimProfile {
  let profile = DEFAULT_SIM_PROFILE;
  for (const part of text.split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const colon = item.indexOf(":");
    if (colon < 0) {
      throw new SimProfileError(`simulator profile: '${item}' is not key:value (e.g. ids:undashed)`);
    }
    profile = withAnswer(profile, item.slice(0, colon).trim(), item.slice(colon + 1).trim());
  }
  return Object.freeze(profile);
}

/** The profile option of startSynapseSim: text, a partial object (checked too: JS callers and JSON), or nothing. */
export function resolveSimProfile(input: string | Partial<SimProfile> | undefined): SimProfile {
  if (input === undefined) return DEFAULT_SIM_PROFILE;
  if (typeof input === "string") return parseSimProfile(input);
  let profile = DEFAULT_SIM_PROFILE;
  for (const [key, value] of Object.entries<unknown>(input)) {
    if (value !== undefined) profile = withAnswer(profile, key, value);
  }
  return Object.freeze(profile);
}

/** The answers that differ from the default, as `key:value,…` ("" for the default profile). */
export function formatSimProfile(profile: SimProfile): string {
  return SIM_PROFILE_KEYS.filter((key) => profile[key] !== DEFAULT_SIM_PROFILE[key])
    .map((key) => `${key}:${profile[key]}`)
    .join(",");
}

/** The default profile, then one profile per non-default answer (for `describe.each(simProfileMatrix())`). */
export function simProfileMatrix(): { name: string; profile: SimProfile }[] {
  const variants = SIM_PROFILE_KEYS.flatMap((key) =>
    SIM_PROFILE_ANSWERS[key]
      .filter((answer) => answer !== DEFAULT_SIM_PROFILE[key])
      .map((answer) => ({ name: `${key}:${answer}`, profile: parseSimProfile(`${key}:${answer}`) })),
  );
  return [{ name: "default", profile: DEFAULT_SIM_PROFILE }, ...variants];
}
