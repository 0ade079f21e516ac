import { ConfigError, loadConfig } from "../../shared/config";

const base = {
  AzureWebJobsStorage: "UseDevelopmentStorage=true",
  SYNAPSE_WORKSPACES: "contoso-synapse",
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  it("fills every default and derives the workspace dev endpoint", () => {
    const config = loadConfig(base);
    expect(config.synapse.workspaces).toEqual([
      { name: "contoso-synapse", endpoint: "https://contoso-synapse.dev.azuresynapse.net" },
    ]);
    expect(config.synapse.apiVersion).toBe("2023-04-18-preview");
    expect(config.ledgerTableName).toBe("onboardingLedger");
    expect(config.worker).toEqual({
      autoStartLinks: false,
      editBatchMaxTables: 100,
      maxTablesPerLink: 5000,
      remediationMaxAttempts: 2,
      tableDeadlineMinutes: 1440,
      pollMinSeconds: 30,
      pollMaxSeconds: 300,
      applyPollSeconds: 15,
      pollsPerExecution: 10,
      enabledOnceRetrySeconds: 60,
      enabledOnceMaxRetries: 10,
      reAddCooldownSeconds: 120,
      breakerFailureThreshold: 5,
      breakerCooldownSeconds: 120,
      faultBackoffMaxSeconds: 600,
      batchQuietSeconds: 5,
      batchMaxWaitSeconds: 60,
      checkSqlPools: false,
      autoResumeSqlPools: false,
      sqlPoolDeadlineMinutes: 120,
    });
    expect(config.arm).toBeUndefined();
  });

  describe("the management plane (ARM)", () => {
    const workspaceId =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-1/providers/Microsoft.Synapse/workspaces/contoso-synapse";

    it("turns the SQL pool checks on for a workspace named by its resource id", () => {
      const config = loadConfig({
        ...base,
        SYNAPSE_WORKSPACE_RESOURCE_IDS: workspaceId,
        SYNAPSE_SQL_POOLS: "contoso-synapse/sales-link=dw01",
        AUTO_RESUME_SQL_POOLS: "true",
        SQL_POOL_DEADLINE_MINUTES: "30",
      });
      expect(config.arm).toEqual({
        endpoint: "https://management.azure.com",
        workspaces: new Map([
          [
            "contoso-synapse",
            {
              subscriptionId: "00000000-0000-0000-0000-000000000000",
              resourceGroup: "rg-1",
              workspace: "contoso-synapse",
            },
          ],
        ]),
        sqlPools: [{ workspace: "contoso-synapse", linkConnection: "sales-link", pool: "dw01" }],
        gitModeAcknowledged: false,
      });
      expect(config.worker).toMatchObject({
        checkSqlPools: true,
        autoResumeSqlPools: true,
        sqlPoolDeadlineMinutes: 30,
      });
    });

    it("names the setting of a bad resource id, an unlisted workspace and a bad pool entry", () => {
      const problems = problemsOf({
        ...base,
        SYNAPSE_WORKSPACE_RESOURCE_IDS: [
          "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/contoso-synapse",
          "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Sql/servers/x",
          workspaceId.replace("contoso-synapse", "elsewhere"),
        ].join(","),
        SYNAPSE_SQL_POOLS: "contoso-synapse/sales-link",
      }).join("\n");
      expect(problems).toMatch(/SYNAPSE_WORKSPACE_RESOURCE_IDS: .*not-a-guid.*not a GUID/);
      expect(problems).toMatch(
        /SYNAPSE_WORKSPACE_RESOURCE_IDS: .*Microsoft\.Sql.* is not a workspace resource id/,
      );
      expect(problems).toMatch(
        /SYNAPSE_WORKSPACE_RESOURCE_IDS: workspace "elsewhere" is not listed in SYNAPSE_WORKSPACES/,
      );
      expect(problems).toMatch(
        /SYNAPSE_SQL_POOLS: "contoso-synapse\/sales-link" must be workspace\/linkConnection=sqlPool/,
      );
    });

    it("allows the static token only when ARM_ENDPOINT is on loopback", () => {
      const simulator = {
        ...base,
        SYNAPSE_WORKSPACES: "contoso-synapse=http://127.0.0.1:7072",
        SYNAPSE_STATIC_TOKEN: "t",
        SYNAPSE_WORKSPACE_RESOURCE_IDS: workspaceId,
      };
      expect(problemsOf({ ...simulator, ARM_ENDPOINT: "http://127.0.0.1:7072" })).toEqual([]);
      // Unset, it is the simulator's: the workspace endpoint on loopback.
      expect(loadConfig(simulator).arm?.endpoint).toBe("http://127.0.0.1:7072");
      expect(problemsOf({ ...simulator, ARM_ENDPOINT: "https://management.azure.com" }).join("\n")).toMatch(
        /SYNAPSE_STATIC_TOKEN: only allowed when ARM_ENDPOINT is on loopback/,
      );
      expect(problemsOf({ ...base, ARM_ENDPOINT: "ftp://x" }).join("\n")).toMatch(
        /ARM_ENDPOINT: must be an http\(s\) URL/,
      );
    });
  });

  it("names every bad setting in one error", () => {
    const problems = problemsOf({
      ...base,
      AUTO_START_LINKS: "yes",
      EDIT_BATCH_MAX_TABLES: "0",
      POLL_MIN_SECONDS: "ten",
    });
    expect(problems.join("\n")).toMatch(/AUTO_START_LINKS: must be true or false/);
    expect(problems.join("\n")).toMatch(/EDIT_BATCH_MAX_TABLES/);
    expect(problems.join("\n")).toMatch(/POLL_MIN_SECONDS: must be a whole number/);
  });

  it("requires a storage connection and names it", () => {
    expect(problemsOf({ SYNAPSE_WORKSPACES: "demo" }).join("\n")).toMatch(/AzureWebJobsStorage: required/);
  });

  it("requires SYNAPSE_WORKSPACES", () => {
    expect(problemsOf({ AzureWebJobsStorage: "x" }).join("\n")).toMatch(/SYNAPSE_WORKSPACES/);
  });

  it("rejects a static token for a real Azure endpoint", () => {
    expect(problemsOf({ ...base, SYNAPSE_STATIC_TOKEN: "t" }).join("\n")).toMatch(
      /SYNAPSE_STATIC_TOKEN: only allowed .*contoso-synapse/,
    );
  });

  it("accepts a static token for the loopback simulator", () => {
    const config = loadConfig({
      ...base,
      SYNAPSE_WORKSPACES: "demo=http://127.0.0.1:7072",
      SYNAPSE_STATIC_TOKEN: "t",
    });
    expect(config.synapse.staticToken).toBe("t");
    expect(config.synapse.workspaces[0]?.endpoint).toBe("http://127.0.0.1:7072");
  });

  it.each([
    "https://127.evil.example",
    "https://127.0.0.1.nip.io",
    "https://localhost.evil.example",
    "http://[::2]:7072",
  ])("rejects a static token for %s, whose host only looks like loopback", (endpoint) => {
    expect(
      problemsOf({ ...base, SYNAPSE_WORKSPACES: `demo=${endpoint}`, SYNAPSE_STATIC_TOKEN: "t" }).join("\n"),
    ).toMatch(/SYNAPSE_STATIC_TOKEN: only allowed .*demo/);
  });

  it.each(["http://localhost:7072", "http://127.1.2.3:7072", "http://[::1]:7072", "http://2130706433:7072"])(
    "accepts a static token for the loopback endpoint %s",
    (endpoint) => {
      expect(
        loadConfig({ ...base, SYNAPSE_WORKSPACES: `demo=${endpoint}`, SYNAPSE_STATIC_TOKEN: "t" }).synapse
          .staticToken,
      ).toBe("t");
    },
  );

  it("parses CALLBACK_ALLOWED_HOSTS into names, domains and networks; none by default", () => {
    expect(loadConfig(base).outcomes.callbackAllowList).toEqual({ hosts: [], domains: [], networks: [] });
    expect(
      loadConfig({ ...base, CALLBACK_ALLOWED_HOSTS: "hooks.corp, *.internal.corp 10.20.0.0/16" }).outcomes
        .callbackAllowList,
    ).toEqual({ hosts: ["hooks.corp"], domains: ["internal.corp"], networks: ["10.20.0.0/16"] });
  });

  it("names CALLBACK_ALLOWED_HOSTS and the bad entry", () => {
    expect(problemsOf({ ...base, CALLBACK_ALLOWED_HOSTS: "hooks.corp,10.0.0.0/40" })).toEqual([
      expect.stringMatching(/^CALLBACK_ALLOWED_HOSTS: "10\.0\.0\.0\/40" is not a host name/),
    ]);
  });

  it("rejects an invalid workspace name and a duplicate", () => {
    const problems = problemsOf({ ...base, SYNAPSE_WORKSPACES: "Bad_Name,demo,demo" }).join("\n");
    expect(problems).toMatch(/"Bad_Name" is not a valid workspace name/);
    expect(problems).toMatch(/workspace demo is listed twice/);
  });

  it("rejects a maximum poll interval below the minimum", () => {
    expect(problemsOf({ ...base, POLL_MIN_SECONDS: "60", POLL_MAX_SECONDS: "30" }).join("\n")).toMatch(
      /POLL_MAX_SECONDS: must be at least POLL_MIN_SECONDS/,
    );
  });

  it("builds an identity-based storage connection from the account name", () => {
    const config = loadConfig({
      SYNAPSE_WORKSPACES: "demo",
      AzureWebJobsStorage__accountName: "stautopilot",
    });
    expect(config.storage).toEqual({
      kind: "identity",
      tableServiceUri: "https://stautopilot.table.core.windows.net",
      queueServiceUri: "https://stautopilot.queue.core.windows.net",
    });
  });

  it("names a malformed webhook secret by position", () => {
    expect(
      problemsOf({ ...base, WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw nope" }).join("\n"),
    ).toMatch(/WEBHOOK_SECRET: secret #2 is not whsec_/);
  });

  it("accepts several webhook secrets for rotation", () => {
    const config = loadConfig({
      ...base,
      WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=",
    });
    expect(config.intake.webhookSecrets).toHaveLength(2);
  });

  it("names the rule and field of an invalid routing rule", () => {
    const rules = JSON.stringify([
      {
        workspace: "demo",
        linkConnection: "demo-link",
        source: "/sql/servers/s/databases/d",
        include: ["nodot"],
      },
    ]);
    expect(problemsOf({ ...base, ROUTING_RULES: rules }).join("\n")).toMatch(
      /ROUTING_RULES\[0\]\.include\.0: must look like schema\.table/,
    );
    expect(problemsOf({ ...base, ROUTING_RULES: "[{" }).join("\n")).toMatch(/ROUTING_RULES: not valid JSON/);
  });

  it("parses routing rules with defaults for include and exclude", () => {
    const rules = JSON.stringify([
      { workspace: "contoso-synapse", linkConnection: "demo-link", source: "/sql/servers/s/databases/d" },
    ]);
    expect(loadConfig({ ...base, ROUTING_RULES: rules }).intake.routing.rules[0]).toMatchObject({
      include: ["*.*"],
      exclude: [],
    });
  });

  it("spells ALLOWED_LINKS workspaces as SYNAPSE_WORKSPACES does, since workspace names ignore case", () => {
    const config = loadConfig({ ...base, ALLOWED_LINKS: "CONTOSO-Synapse/sales-link" });
    expect(config.intake.routing.allowedLinks).toEqual([
      { workspace: "contoso-synapse", linkConnection: "sales-link" },
    ]);
  });

  it("names a malformed ALLOWED_LINKS entry", () => {
    expect(problemsOf({ ...base, ALLOWED_LINKS: "demo/*, justone" }).join("\n")).toMatch(
      /ALLOWED_LINKS: "justone" must be workspace\/linkConnection/,
    );
  });

  it("refuses a routing rule whose workspace is not configured", () => {
    const rules = JSON.stringify([
      { workspace: "elsewhere", linkConnection: "l", source: "/sql/servers/s/databases/d" },
    ]);
    expect(problemsOf({ ...base, ROUTING_RULES: rules }).join("\n")).toMatch(
      /ROUTING_RULES\[0\]\.workspace: "elsewhere" is not listed in SYNAPSE_WORKSPACES/,
    );
  });
});
