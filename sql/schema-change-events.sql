/*
================================================================================================
 Synapse Link Autopilot — schema-change events from an Azure SQL Database
================================================================================================

 Publishes "a table was created / altered / dropped" as CloudEvents 1.0 to an Event Grid custom
 topic, which delivers them to the app's `schemaChanged` function (docs/schema-change-events.md).

     CREATE/ALTER/DROP TABLE ──▶ DDL trigger ──▶ autopilot.SchemaChangeOutbox  (same transaction)
                                                        │
     Elastic Job (every minute) ──▶ autopilot.DrainSchemaChangeOutbox ──▶ Event Grid topic (HTTPS)

 * The trigger is tiny: it reads EVENTDATA() and inserts one row. It makes no outbound call, so a
   slow or unreachable topic can never slow down or fail a deployment's DDL. If the insert itself
   fails, the DDL fails with it: no table change goes unrecorded.
 * The drain procedure runs from a scheduled job, never from the trigger. It posts each pending row
   with sp_invoke_external_rest_endpoint (managed identity or topic access key), marks it Sent, and
   retries failures with backoff. A row can be posted twice (the job dies between the POST and the
   UPDATE); its event id is deterministic, and the app does nothing twice for the same id.

 The event (docs/events.md#schema-change-events):
     specversion  "1.0"
     type         <prefix>.sql.table.created.v1 | .altered.v1 | .dropped.v1   (prefix: @TypePrefix)
     source       /sql/servers/{server}/databases/{database}
     subject      /schemas/{schema}/tables/{table}
     id           SHA-256 (hex) of database, object_id (schema.table for drops), kind, event time
     time         when the DDL ran (UTC)
     data         { server, database, schema, table, primaryKey?: [...], columns?: [{ name, type }] }
 primaryKey and columns describe the table as it is when the row is sent (absent for a dropped
 table, or when the table was dropped or recreated since); primaryKey is [] for a table without one.

 Requirements: Azure SQL Database (sp_invoke_external_rest_endpoint). The outbox and trigger also
 work on SQL Server and Managed Instance; deliver from there with the SQL trigger binding instead
 (section 8). Run this script as a member of db_owner. It is idempotent: run it again to upgrade.

 Sections: 1 schema · 2 outbox · 3 trigger · 4 event JSON · 5 drain procedure · 6 credential ·
           7 schedule · 8 other delivery paths · 9 operations · 10 uninstall
================================================================================================
*/

SET NOCOUNT ON;
GO

/* ---- 1. Schema ------------------------------------------------------------------------- */

IF SCHEMA_ID(N'autopilot') IS NULL
    EXEC (N'CREATE SCHEMA autopilot AUTHORIZATION dbo;');
GO

/* ---- 2. Outbox --------------------------------------------------------------------------- */

IF OBJECT_ID(N'autopilot.SchemaChangeOutbox', N'U') IS NULL
BEGIN
    CREATE TABLE autopilot.SchemaChangeOutbox
    (
        OutboxId       bigint         IDENTITY(1, 1) NOT NULL,
        EventKind      varchar(7)     NOT NULL,  -- created | altered | dropped
        DatabaseName   nvarchar(128)  NOT NULL,
        SchemaName     nvarchar(128)  NOT NULL,
        TableName      nvarchar(128)  NOT NULL,
        ObjectId       int            NULL,      -- NULL for a dropped table
        EventTimeUtc   datetime2(7)   NOT NULL
            CONSTRAINT DF_SchemaChangeOutbox_EventTimeUtc DEFAULT (SYSUTCDATETIME()),
        LoginName      nvarchar(128)  NULL,
        Status         varchar(7)     NOT NULL
            CONSTRAINT DF_SchemaChangeOutbox_Status DEFAULT ('Pending'),  -- Pending | Sent | Failed
        Attempts       int            NOT NULL
            CONSTRAINT DF_SchemaChangeOutbox_Attempts DEFAULT (0),
        NextAttemptUtc datetime2(3)   NULL,
        SentUtc        datetime2(3)   NULL,
        LastError      nvarchar(2000) NULL,
        -- The CloudEvents id: the same row always yields the same id, so a re-sent row is a
        -- redelivery, never a second event. (Not persisted: computed from immutable columns.)
        EventId AS LOWER(CONVERT(char(64), HASHBYTES('SHA2_256', CONCAT(
                    DatabaseName, N'|',
                    COALESCE(CONVERT(nvarchar(12), ObjectId), QUOTENAME(SchemaName) + N'.' + QUOTENAME(TableName)), N'|',
                    EventKind, N'|',
                    CONVERT(nvarchar(27), EventTimeUtc, 126))), 2)),
        CONSTRAINT PK_SchemaChangeOutbox PRIMARY KEY CLUSTERED (OutboxId),
        CONSTRAINT CK_SchemaChangeOutbox_EventKind CHECK (EventKind IN ('created', 'altered', 'dropped')),
        CONSTRAINT CK_SchemaChangeOutbox_Status CHECK (Status IN ('Pending', 'Sent', 'Failed'))
    );
    CREATE INDEX IX_SchemaChangeOutbox_Status ON autopilot.SchemaChangeOutbox (Status, NextAttemptUtc, OutboxId);
END;
GO

/* ---- 3. DDL trigger ----------------------------------------------------------------------
   Runs as a user without login that may only insert into the outbox (and see metadata, for
   OBJECT_ID), so whoever runs the DDL needs no permission on the autopilot schema.            */

IF DATABASE_PRINCIPAL_ID(N'autopilot_outbox_writer') IS NULL
    CREATE USER autopilot_outbox_writer WITHOUT LOGIN;
GRANT INSERT ON OBJECT::autopilot.SchemaChangeOutbox TO autopilot_outbox_writer;
GRANT VIEW DEFINITION TO autopilot_outbox_writer;
GO

IF EXISTS (SELECT 1 FROM sys.triggers WHERE parent_class = 0 AND name = N'autopilot_CaptureSchemaChange')
    DROP TRIGGER autopilot_CaptureSchemaChange ON DATABASE;
GO

CREATE TRIGGER autopilot_CaptureSchemaChange
ON DATABASE
WITH EXECUTE AS 'autopilot_outbox_writer'
FOR CREATE_TABLE, ALTER_TABLE, DROP_TABLE
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @event xml = EVENTDATA();
    DECLARE @eventType nvarchar(64) = @event.value(N'(/EVENT_INSTANCE/EventType)[1]', N'nvarchar(64)');
    DECLARE @schema nvarchar(128) = @event.value(N'(/EVENT_INSTANCE/SchemaName)[1]', N'nvarchar(128)');
    DECLARE @table nvarchar(128) = @event.value(N'(/EVENT_INSTANCE/ObjectName)[1]', N'nvarchar(128)');

    -- The app's own objects and system schemas (Synapse Link keeps its state in changefeed.*).
    IF @schema IS NULL OR @table IS NULL OR @schema IN (N'autopilot', N'changefeed', N'cdc', N'sys')
        RETURN;

    INSERT INTO autopilot.SchemaChangeOutbox (EventKind, DatabaseName, SchemaName, TableName, ObjectId, LoginName)
    VALUES
    (
        CASE @eventType WHEN N'CREATE_TABLE' THEN 'created' WHEN N'ALTER_TABLE' THEN 'altered' ELSE 'dropped' END,
        DB_NAME(),
        @schema,
        @table,
        CASE WHEN @eventType = N'DROP_TABLE' THEN NULL ELSE OBJECT_ID(QUOTENAME(@schema) + N'.' + QUOTENAME(@table)) END,
        @event.value(N'(/EVENT_INSTANCE/LoginName)[1]', N'nvarchar(128)')
    );
END;
GO

/* ---- 4. One outbox row as an event --------------------------------------------------------
   @EventSchema 'CloudEvents' → one CloudEvents 1.0 object (structured mode);
                'EventGrid'   → a one-element array in the Event Grid schema (for a topic whose input
                                schema is Event Grid; the app takes source from data.server/database).
   Returns NULL for an unknown row. Also handy to check an installation: SELECT it for any row. */

CREATE OR ALTER FUNCTION autopilot.SchemaChangeEventJson
(
    @OutboxId    bigint,
    @EventSchema varchar(11),
    @TypePrefix  varchar(200),
    @ServerName  nvarchar(128)
)
RETURNS nvarchar(max)
AS
BEGIN
    DECLARE @kind varchar(7), @database nvarchar(128), @schema nvarchar(128), @table nvarchar(128),
            @objectId int, @eventTime datetime2(7), @eventId char(64);
    SELECT @kind = EventKind, @database = DatabaseName, @schema = SchemaName, @table = TableName,
           @objectId = ObjectId, @eventTime = EventTimeUtc, @eventId = EventId
    FROM autopilot.SchemaChangeOutbox
    WHERE OutboxId = @OutboxId;
    IF @kind IS NULL RETURN NULL;

    -- Describe the table only while it is still the table the event was about.
    DECLARE @current int = CASE WHEN @kind = 'dropped' THEN NULL
                                ELSE OBJECT_ID(QUOTENAME(@schema) + N'.' + QUOTENAME(@table), N'U') END;
    IF @current <> @objectId SET @current = NULL;

    DECLARE @primaryKey nvarchar(max), @columns nvarchar(max);
    IF @current IS NOT NULL
    BEGIN
        SELECT @primaryKey = N'[' + STRING_AGG(CONVERT(nvarchar(max), N'"' + STRING_ESCAPE(c.name, 'json') + N'"'), N',')
                                     WITHIN GROUP (ORDER BY ic.key_ordinal) + N']'
        FROM sys.indexes AS i
        JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
        JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
        WHERE i.object_id = @current AND i.is_primary_key = 1 AND ic.key_ordinal > 0;
        SET @primaryKey = COALESCE(@primaryKey, N'[]');

        SET @columns =
        (
            SELECT c.name AS [name],
                   CASE
                       WHEN t.name IN (N'varchar', N'char', N'varbinary', N'binary')
                           THEN t.name + N'(' + CASE WHEN c.max_length = -1 THEN N'max' ELSE CONVERT(nvarchar(5), c.max_length) END + N')'
                       WHEN t.name IN (N'nvarchar', N'nchar')
                           THEN t.name + N'(' + CASE WHEN c.max_length = -1 THEN N'max' ELSE CONVERT(nvarchar(5), c.max_length / 2) END + N')'
                       WHEN t.name IN (N'decimal', N'numeric')
                           THEN t.name + N'(' + CONVERT(nvarchar(3), c.precision) + N',' + CONVERT(nvarchar(3), c.scale) + N')'
                       WHEN t.name IN (N'datetime2', N'datetimeoffset', N'time')
                           THEN t.name + N'(' + CONVERT(nvarchar(3), c.scale) + N')'
                       ELSE t.name
                   END AS [type]
            FROM sys.columns AS c
            -- The base type (alias types such as sysname resolve to nvarchar); CLR types keep their own.
            JOIN sys.types AS t
              ON t.user_type_id = CASE WHEN c.system_type_id = 240 THEN c.user_type_id ELSE c.system_type_id END
            WHERE c.object_id = @current
            ORDER BY c.column_id
            FOR JSON PATH
        );
    END;

    DECLARE @data nvarchar(max) =
    (
        SELECT @ServerName AS [server], @database AS [database], @schema AS [schema], @table AS [table],
               JSON_QUERY(@primaryKey) AS primaryKey,  -- NULL → left out
               JSON_QUERY(@columns) AS columns
        FOR JSON PATH, WITHOUT_ARRAY_WRAPPER
    );
    DECLARE @type varchar(300) = CONCAT(NULLIF(@TypePrefix, '') + '.', 'sql.table.', @kind, '.v1');
    DECLARE @subject nvarchar(300) = N'/schemas/' + @schema + N'/tables/' + @table;
    DECLARE @time varchar(30) = CONVERT(varchar(27), @eventTime, 126) + 'Z';

    IF @EventSchema = 'EventGrid'
        RETURN
        (
            SELECT @eventId AS id, @subject AS subject, @type AS eventType, @time AS eventTime,
                   JSON_QUERY(@data) AS data, '1' AS dataVersion
            FOR JSON PATH
        );

    RETURN
    (
        SELECT '1.0' AS specversion,
               @type AS [type],
               N'/sql/servers/' + @ServerName + N'/databases/' + @database AS [source],
               @eventId AS id,
               @time AS [time],
               @subject AS subject,
               'application/json' AS datacontenttype,
               JSON_QUERY(@data) AS data
        FOR JSON PATH, WITHOUT_ARRAY_WRAPPER
    );
END;
GO

/* ---- 5. Drain procedure -------------------------------------------------------------------
   EXEC autopilot.DrainSchemaChangeOutbox
        @TopicEndpoint = N'https://<topic>.<region>-1.eventgrid.azure.net/api/events?api-version=2018-01-01',
        @Credential    = N'https://<topic>.<region>-1.eventgrid.azure.net',
        @TypePrefix    = 'com.contoso';
   Returns one row (Sent, Failed, Pending). @DryRun = 1 returns the payloads instead of sending.
   One run at a time (an application lock); a second concurrent run returns at once.             */

CREATE OR ALTER PROCEDURE autopilot.DrainSchemaChangeOutbox
    @TopicEndpoint  nvarchar(1000),
    @Credential     nvarchar(128) = NULL,          -- DATABASE SCOPED CREDENTIAL (section 6)
    @TypePrefix     varchar(200)  = 'com.contoso', -- reverse-DNS; the app may restrict it (SCHEMA_EVENT_TYPE_PREFIX)
    @ServerName     nvarchar(128) = NULL,          -- default @@SERVERNAME; see "Failover groups" in the docs
    @EventSchema    varchar(11)   = 'CloudEvents', -- or 'EventGrid' for a topic with the Event Grid input schema
    @BatchSize      int           = 100,           -- rows per run
    @MaxAttempts    int           = 10,            -- then the row becomes Failed
    @TimeoutSeconds smallint      = 30,            -- per POST (1-230)
    @RetainSentDays int           = 7,             -- Sent rows older than this are deleted
    @DryRun         bit           = 0
AS
BEGIN
    SET NOCOUNT ON;

    IF @TopicEndpoint IS NULL OR @TopicEndpoint NOT LIKE N'https://%'
        THROW 50001, N'@TopicEndpoint must be the topic''s https endpoint, e.g. https://<topic>.<region>-1.eventgrid.azure.net/api/events', 1;
    IF @TypePrefix LIKE '%[^A-Za-z0-9.-]%' OR @TypePrefix LIKE '.%' OR @TypePrefix LIKE '%.' OR @TypePrefix LIKE '%..%'
        THROW 50002, N'@TypePrefix must be a reverse-DNS name such as com.contoso (letters, digits, hyphens, single dots)', 1;
    IF @EventSchema IS NULL OR @EventSchema NOT IN ('CloudEvents', 'EventGrid')
        THROW 50003, N'@EventSchema must be CloudEvents or EventGrid', 1;
    IF @BatchSize IS NULL OR @BatchSize < 1 OR @MaxAttempts IS NULL OR @MaxAttempts < 1
        OR @TimeoutSeconds IS NULL OR @TimeoutSeconds NOT BETWEEN 1 AND 230 OR @RetainSentDays IS NULL OR @RetainSentDays < 0
        THROW 50004, N'@BatchSize and @MaxAttempts must be at least 1, @TimeoutSeconds 1-230, @RetainSentDays at least 0', 1;

    DECLARE @server nvarchar(128) = COALESCE(NULLIF(@ServerName, N''), @@SERVERNAME);
    DECLARE @headers nvarchar(4000) =
        CASE @EventSchema
            WHEN 'CloudEvents' THEN N'{"Content-Type":"application/cloudevents+json; charset=utf-8"}'
            ELSE N'{"Content-Type":"application/json; charset=utf-8"}'
        END;

    IF @DryRun = 1
    BEGIN
        SELECT TOP (@BatchSize) OutboxId, EventId,
               autopilot.SchemaChangeEventJson(OutboxId, @EventSchema, @TypePrefix, @server) AS Payload
        FROM autopilot.SchemaChangeOutbox
        WHERE Status = 'Pending'
        ORDER BY OutboxId;
        RETURN 0;
    END;

    DECLARE @lock int;
    EXEC @lock = sys.sp_getapplock @Resource = N'autopilot.DrainSchemaChangeOutbox', @LockMode = 'Exclusive',
                                   @LockOwner = 'Session', @LockTimeout = 0;
    IF @lock < 0
    BEGIN
        PRINT N'Another DrainSchemaChangeOutbox run is in progress; nothing done.';
        RETURN 0;
    END;

    DECLARE @sent int = 0, @failed int = 0;
    BEGIN TRY
        DECLARE @batch TABLE (OutboxId bigint NOT NULL PRIMARY KEY);
        INSERT INTO @batch (OutboxId)
        SELECT TOP (@BatchSize) OutboxId
        FROM autopilot.SchemaChangeOutbox
        WHERE Status = 'Pending' AND (NextAttemptUtc IS NULL OR NextAttemptUtc <= SYSUTCDATETIME())
        ORDER BY OutboxId;

        DECLARE @id bigint = 0, @payload nvarchar(max), @ret int, @response nvarchar(max), @error nvarchar(2000);
        WHILE 1 = 1
        BEGIN
            SELECT TOP (1) @id = OutboxId FROM @batch WHERE OutboxId > @id ORDER BY OutboxId;
            IF @@ROWCOUNT = 0 BREAK;

            SELECT @payload = autopilot.SchemaChangeEventJson(@id, @EventSchema, @TypePrefix, @server),
                   @ret = NULL, @response = NULL, @error = NULL;
            BEGIN TRY
                -- Synchronous HTTPS from the database: here, in a job, never in the trigger.
                IF @Credential IS NULL
                    EXEC @ret = sys.sp_invoke_external_rest_endpoint
                        @url = @TopicEndpoint, @method = 'POST', @headers = @headers, @payload = @payload,
                        @timeout = @TimeoutSeconds, @response = @response OUTPUT;
                ELSE
                    EXEC @ret = sys.sp_invoke_external_rest_endpoint
                        @url = @TopicEndpoint, @method = 'POST', @headers = @headers, @payload = @payload,
                        @timeout = @TimeoutSeconds, @credential = @Credential, @response = @response OUTPUT;
                IF @ret <> 0 SET @error = CONCAT(N'HTTP ', @ret, N': ', LEFT(@response, 1900));
            END TRY
            BEGIN CATCH
                SET @error = CONCAT(N'error ', ERROR_NUMBER(), N': ', ERROR_MESSAGE());
            END CATCH;

            IF @error IS NULL
            BEGIN
                UPDATE autopilot.SchemaChangeOutbox
                SET Status = 'Sent', SentUtc = SYSUTCDATETIME(), Attempts = Attempts + 1, LastError = NULL
                WHERE OutboxId = @id;
                SET @sent += 1;
            END
            ELSE
            BEGIN
                -- Backoff 30 s, 1 min, 2 min, ... capped at about 8.5 hours.
                UPDATE autopilot.SchemaChangeOutbox
                SET Attempts = Attempts + 1,
                    LastError = LEFT(@error, 2000),
                    Status = CASE WHEN Attempts + 1 >= @MaxAttempts THEN 'Failed' ELSE 'Pending' END,
                    NextAttemptUtc = DATEADD(SECOND, 30 * POWER(2, CASE WHEN Attempts > 10 THEN 10 ELSE Attempts END), SYSUTCDATETIME())
                WHERE OutboxId = @id;
                SET @failed += 1;
            END;
        END;

        DELETE FROM autopilot.SchemaChangeOutbox
        WHERE Status = 'Sent' AND SentUtc < DATEADD(DAY, -@RetainSentDays, SYSUTCDATETIME());
    END TRY
    BEGIN CATCH
        IF XACT_STATE() <> 0 ROLLBACK TRANSACTION;
        EXEC sys.sp_releaseapplock @Resource = N'autopilot.DrainSchemaChangeOutbox', @LockOwner = 'Session';
        THROW;
    END CATCH;
    EXEC sys.sp_releaseapplock @Resource = N'autopilot.DrainSchemaChangeOutbox', @LockOwner = 'Session';

    SELECT @sent AS Sent, @failed AS Failed,
           (SELECT COUNT(*) FROM autopilot.SchemaChangeOutbox WHERE Status = 'Pending') AS Pending;
    RETURN 0;
END;
GO

/* ---- 6. Credential (run once, with your topic's endpoint) ----------------------------------
   The credential's name is the topic's https origin; the @TopicEndpoint URL must start with it.

   -- A database master key protects credential secrets (once per database):
   IF NOT EXISTS (SELECT 1 FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##')
       CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'<a strong password>';

   -- Recommended: the logical server's managed identity. Turn on its system-assigned identity
   -- (az sql server update -g <rg> -n <server> --identity-type SystemAssigned) and give that
   -- identity the "EventGrid Data Sender" role on the topic.
   CREATE DATABASE SCOPED CREDENTIAL [https://<topic>.<region>-1.eventgrid.azure.net]
       WITH IDENTITY = 'Managed Identity', SECRET = '{"resourceid":"https://eventgrid.azure.net"}';

   -- Alternative: the topic's access key, sent as the aeg-sas-key header.
   -- CREATE DATABASE SCOPED CREDENTIAL [https://<topic>.<region>-1.eventgrid.azure.net]
   --     WITH IDENTITY = 'HTTPEndpointHeaders', SECRET = '{"aeg-sas-key":"<topic access key>"}';

   -- Whoever runs the drain (the job's database user) needs:
   GRANT EXECUTE ON OBJECT::autopilot.DrainSchemaChangeOutbox TO [<job user>];
   GRANT EXECUTE ANY EXTERNAL ENDPOINT TO [<job user>];
   GRANT REFERENCES ON DATABASE SCOPED CREDENTIAL::[https://<topic>.<region>-1.eventgrid.azure.net] TO [<job user>];
   GRANT VIEW DEFINITION TO [<job user>];  -- to describe tables (primaryKey, columns) in the events
   ------------------------------------------------------------------------------------------- */

/* ---- 7. Schedule: an Elastic Job (run in the job agent's database) --------------------------
   The agent connects with its user-assigned managed identity; create it as a user in this
   database (CREATE USER [<identity name>] FROM EXTERNAL PROVIDER) and grant it what section 6 lists.

   EXEC jobs.sp_add_target_group @target_group_name = N'autopilot-sources';
   EXEC jobs.sp_add_target_group_member @target_group_name = N'autopilot-sources', @target_type = N'SqlDatabase',
        @server_name = N'<server>.database.windows.net', @database_name = N'<database>';
   EXEC jobs.sp_add_job @job_name = N'autopilot-drain-schema-changes',
        @description = N'Posts autopilot.SchemaChangeOutbox rows to Event Grid',
        @enabled = 1, @schedule_interval_type = N'Minutes', @schedule_interval_count = 1;
   EXEC jobs.sp_add_jobstep @job_name = N'autopilot-drain-schema-changes', @target_group_name = N'autopilot-sources',
        @command = N'EXEC autopilot.DrainSchemaChangeOutbox
                         @TopicEndpoint = N''https://<topic>.<region>-1.eventgrid.azure.net/api/events?api-version=2018-01-01'',
                         @Credential = N''https://<topic>.<region>-1.eventgrid.azure.net'',
                         @TypePrefix = ''com.contoso'';';
   ------------------------------------------------------------------------------------------- */

/* ---- 8. Other delivery paths (instead of sections 5-7) -------------------------------------
   Azure Functions SQL trigger binding (SQL Server, Managed Instance or Azure SQL Database; no
   outbound call from the database): turn on change tracking for the outbox, then have a function
   with app.sql({ tableName: 'autopilot.SchemaChangeOutbox', ... }) read new rows, render each with
   autopilot.SchemaChangeEventJson and publish it to the topic (or mark it Sent itself).

   ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 2 DAYS, AUTO_CLEANUP = ON);
   ALTER TABLE autopilot.SchemaChangeOutbox ENABLE CHANGE_TRACKING;
   ------------------------------------------------------------------------------------------- */

/* ---- 9. Operations ---------------------------------------------------------------------------
   -- What is waiting, what failed and why:
   SELECT Status, COUNT(*) AS Rows, MIN(EventTimeUtc) AS Oldest FROM autopilot.SchemaChangeOutbox GROUP BY Status;
   SELECT TOP (20) * FROM autopilot.SchemaChangeOutbox WHERE Status = 'Failed' ORDER BY OutboxId DESC;
   -- See the events without sending them:
   EXEC autopilot.DrainSchemaChangeOutbox @TopicEndpoint = N'https://example.eventgrid.azure.net/api/events', @DryRun = 1;
   -- Send failed rows again (same event ids):
   UPDATE autopilot.SchemaChangeOutbox SET Status = 'Pending', Attempts = 0, NextAttemptUtc = NULL WHERE Status = 'Failed';
   ------------------------------------------------------------------------------------------- */

/* ---- 10. Uninstall ---------------------------------------------------------------------------
   DROP TRIGGER autopilot_CaptureSchemaChange ON DATABASE;
   DROP PROCEDURE autopilot.DrainSchemaChangeOutbox;
   DROP FUNCTION autopilot.SchemaChangeEventJson;
   DROP TABLE autopilot.SchemaChangeOutbox;
   DROP USER autopilot_outbox_writer;
   DROP SCHEMA autopilot;
   ------------------------------------------------------------------------------------------- */
