@sft
Feature: The SFT agent carries files from the SFT directory to the stub NiFi
  SFT rules make the egress service write files into a directory shared with the SFT agent.
  The agent sends each finished file over HTTPS with mutual TLS to its destination; in the
  sandbox that is a stub NiFi that stores what it receives in the stub-hdfs bucket. The
  sandbox agent runs the original deployment's routes, with delays scaled down to seconds.

  Scenario: A file in the "sas" directory reaches stub-hdfs with identical bytes
    When a finished file "tactical-<id>.csv" is written to "/data-egress/sas/"
    Then stub-hdfs holds "internal/DandARed/inbound/Dataworks/UCFS/tactical/tactical-<id>.csv" with the same bytes
    And "tactical-<id>.csv" is no longer in "/data-egress/sas/"

  Scenario: The pptest route renames the file before sending it
    When a finished file "probe-<id>.txt" is written to "/data-egress/pptest/"
    Then stub-hdfs holds "internal/DA/inbound/Test/TEST_probe-<id>.txt" with the same bytes

  Scenario: An RIS subset file goes to both RIS and CRE, anything else to RIS only
    When a finished file "db.core.claimant-045-070-<id6>.<ymd>.txt.gz.enc" is written to "/data-egress/RIS/"
    And a finished file "db.core.claimant-<id>.control" is written to "/data-egress/RIS/"
    Then stub-hdfs holds "internal/DSPRIS/inbound/Dataworks/UCFS/data/db.core.claimant-045-070-<id6>.<ymd>.txt.gz.enc" with the same bytes
    And stub-hdfs holds "internal/CEHA/inbound/Dataworks/UCFS/data/db.core.claimant-045-070-<id6>.<ymd>.txt.gz.enc" with the same bytes
    And stub-hdfs holds "internal/DSPRIS/inbound/Dataworks/UCFS/data/db.core.claimant-<id>.control" with the same bytes
    And stub-hdfs does not hold "internal/CEHA/inbound/Dataworks/UCFS/data/db.core.claimant-<id>.control"

  Scenario: A half-written file is not sent early
    When a file "slow-<id>.csv" is written to "/data-egress/sas/" in two halves, slowly
    Then stub-hdfs holds "internal/DandARed/inbound/Dataworks/UCFS/tactical/slow-<id>.csv" with the same bytes
    And the stub NiFi received "slow-<id>.csv" exactly once

  @embedded-only @resilience
  Scenario: The stub NiFi fails for a while, the agent retries, and the file is delivered
    Given the stub NiFi answers the next 2 requests with 503
    When a finished file "retry-<id>.csv" is written to "/data-egress/sas/"
    Then stub-hdfs holds "internal/DandARed/inbound/Dataworks/UCFS/tactical/retry-<id>.csv" with the same bytes
    And the SFT agent retried "retry-<id>.csv" at least 2 times

  @embedded-only @resilience
  Scenario: A permanent refusal puts the file in the route's error folder with the reason
    Given the stub NiFi answers the next 1 requests with 400
    When a finished file "refused-<id>.csv" is written to "/data-egress/sas/"
    Then "refused-<id>.csv" appears in "/data-egress/error/sas/" with a sidecar naming status 400
    And stub-hdfs does not hold "internal/DandARed/inbound/Dataworks/UCFS/tactical/refused-<id>.csv"

  Scenario: A client without a certificate is refused by the stub NiFi
    When a client without a certificate posts "intruder-<id>.csv" to the stub NiFi
    Then the TLS handshake is refused
    And stub-hdfs does not hold "DA/intruder-<id>.csv"

  @embedded-only
  Scenario: A name that does not match the route's filenameRegex stays put
    Given an SFT agent running this route configuration:
      """
      sender:
        routes:
          - name: csv-only
            source: /bdd-<id>/outbox/
            filenameRegex: ^.*[.]csv$
            actions:
              - name: httpRequest
                properties: { destination: "<nifi>/bdd-<id>/inbound" }
            errorFolder: /bdd-<id>/error/
            deleteOnSend: true
      readLock: { minAge: 200ms, checkInterval: 100ms }
      """
    When a finished file "notes.txt" is written to "/bdd-<id>/outbox/"
    And a finished file "data.csv" is written to "/bdd-<id>/outbox/"
    Then stub-hdfs holds "bdd-<id>/inbound/data.csv" with the same bytes
    And the agent reported "notes.txt" as matching no route
    And "notes.txt" is still in "/bdd-<id>/outbox/"
