import { startAzureMonitor, telemetrySettings } from "../../shared/telemetry/azureMonitor";

const CONNECTION =
  "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x.in.applicationinsights.azure.com/";

describe("telemetrySettings", () => {
  it("is off without an Application Insights connection string, so nothing is loaded or sent", () => {
    expect(telemetrySettings({})).toBeUndefined();
    expect(telemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: "  " })).toBeUndefined();
    expect(startAzureMonitor({})).toBe(false);
  });

  it("signs in with the identity the host's authentication string names", () => {
    expect(
      telemetrySettings({
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "ClientId=1111;Authorization=AAD",
        AZURE_CLIENT_ID: "2222",
      }),
    ).toEqual({ connectionString: CONNECTION, clientId: "1111" });
  });

  it("falls back to AZURE_CLIENT_ID, then to the system-assigned identity", () => {
    expect(
      telemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, AZURE_CLIENT_ID: "2222" }),
    ).toEqual({
      connectionString: CONNECTION,
      clientId: "2222",
    });
    expect(telemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION })).toEqual({
      connectionString: CONNECTION,
    });
  });
});
