@sft
Feature: SFT rules deliver files through the SFT directory, the SFT agent and the stub NiFi
  A rule with transfer_type SFT writes each file into a directory (its destination_prefix, under
  the SFT root shared with the SFT agent). The agent picks up every finished file, sends it over
  HTTPS with mutual TLS and deletes it; outside production the receiver is a stub NiFi that keeps
  what it receives in the stub-hdfs bucket, under the route's path.

  S3 keys and prefixes below are placed under a prefix unique to the scenario (bdd-<id>/); SFT
  directories are used as written, and <id> makes file names unique.

  # behaviour §9 scenario 8: a source key with a leading slash, delivered to a local directory
  Scenario: An SFT rule writes the files into its directory
    Given the routing rule:
      | source_prefix      | /dataworks-data-egress/sft      |
      | pipeline_name      | INTEGRATION_TESTS               |
      | recipient_name     | recipient                       |
      | transfer_type      | SFT                             |
      | source_bucket      | source                          |
      | destination_prefix | /bdd-<id>/testData/sft          |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                               | lines |
      | /dataworks-data-egress/sft/sft.csv | 100   |
    Then the SFT directory "/bdd-<id>/testData/sft" receives:
      | file    | content                                    |
      | sft.csv | same as /dataworks-data-egress/sft/sft.csv |

  Scenario: A file for the "sas" route goes all the way to stub-hdfs with identical bytes
    Given the routing rule:
      | source_prefix      | tactical/          |
      | pipeline_name      | SAS_TACTICAL       |
      | recipient_name     | DandARed           |
      | transfer_type      | SFT                |
      | source_bucket      | published-bucket   |
      | destination_prefix | /data-egress/sas/  |
    When the pipeline publishes these files to "published-bucket" and its pipeline_success.flag:
      | file                        | lines |
      | tactical/tactical-<id>.csv  | 500   |
    Then stub-hdfs holds "internal/DandARed/inbound/Dataworks/UCFS/tactical/tactical-<id>.csv" with the same bytes as "tactical/tactical-<id>.csv"
    And "tactical-<id>.csv" is no longer in "/data-egress/sas/"

  Scenario: An RIS collection reaches both RIS and CRE, and its control file RIS only
    Given the routing rule:
      | source_prefix       | incremental/db.core.claimant-                  |
      | pipeline_name       | RIS_CLAIMANT                                   |
      | recipient_name      | RIS                                            |
      | transfer_type       | SFT                                            |
      | source_bucket       | htme-s3-bucket                                 |
      | destination_prefix  | /data-egress/RIS                               |
      | timestamp_files     | true                                           |
      | control_file_prefix | db.core.claimant-<id>-$TODAYS_DATE.control     |
    When the pipeline publishes these files to "htme-s3-bucket" and then the flag "incremental/db.core.claimant-pipeline_success.flag":
      | file                                                | lines |
      | incremental/db.core.claimant-045-070-<id6>.txt.gz.enc | 50    |
    Then stub-hdfs holds "internal/DSPRIS/inbound/Dataworks/UCFS/data/db.core.claimant-045-070-<id6>.<ymd>.txt.gz.enc" with the same bytes as "incremental/db.core.claimant-045-070-<id6>.txt.gz.enc"
    And stub-hdfs holds "internal/CEHA/inbound/Dataworks/UCFS/data/db.core.claimant-045-070-<id6>.<ymd>.txt.gz.enc" with the same bytes as "incremental/db.core.claimant-045-070-<id6>.txt.gz.enc"
    And stub-hdfs holds the control file "internal/DSPRIS/inbound/Dataworks/UCFS/data/db.core.claimant-<id>-<ymd>.control" listing, one name per line:
      | name                                               |
      | db.core.claimant-045-070-<id6>.<ymd>.txt.gz.enc    |
    And stub-hdfs does not hold "internal/CEHA/inbound/Dataworks/UCFS/data/db.core.claimant-<id>-<ymd>.control"

  @resilience
  Scenario: An SFT directory that would leave the SFT root is refused, and nothing is written outside it
    Given the routing rule:
      | source_prefix      | escape/                |
      | pipeline_name      | ESCAPE                 |
      | recipient_name     | intruder               |
      | transfer_type      | SFT                    |
      | source_bucket      | source                 |
      | destination_prefix | /data-egress/../../escape-<id> |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file         |
      | escape/x.csv |
    Then the pipeline reports that "escape/x.csv" failed because "contains a '..' segment"
    And within 30 seconds the dead-letter queue holds the flag's message
    And nothing named "escape-<id>" exists beside the SFT root
