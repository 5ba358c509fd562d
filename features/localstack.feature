@localstack
Feature: The same pipeline runs on LocalStack
  These scenarios start LocalStack (the pinned image) in a container through testcontainers,
  provision it like the sandbox, and run the egress service, the stubs and the SFT agent against
  it. Where no container runtime exists they are skipped, with the reason printed once; with
  EGRESS_TARGET=localstack every scenario runs on LocalStack and a missing runtime is an error.

  S3 keys and prefixes below are placed under a prefix unique to the scenario (bdd-<id>/).

  Scenario: A flag on LocalStack delivers its files, compressed, to the destination bucket
    Given the routing rule:
      | source_prefix      | on-localstack/ |
      | pipeline_name      | ON_LOCALSTACK  |
      | recipient_name     | analytics      |
      | transfer_type      | S3             |
      | source_bucket      | source         |
      | destination_bucket | destination    |
      | destination_prefix | delivered/     |
      | compress           | true           |
      | compress_fmt       | gz             |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                      | lines |
      | on-localstack/report.csv  | 100   |
    Then recipient "analytics" receives in "destination":
      | key                     | content                          |
      | delivered/report.csv.gz | gzip of on-localstack/report.csv |
    And the flag's message is deleted as "completed"

  Scenario: An SFT rule on LocalStack reaches stub-hdfs through the SFT agent
    Given the routing rule:
      | source_prefix      | tactical/         |
      | pipeline_name      | SAS_TACTICAL      |
      | recipient_name     | DandARed          |
      | transfer_type      | SFT               |
      | source_bucket      | published-bucket  |
      | destination_prefix | /data-egress/sas/ |
    When the pipeline publishes these files to "published-bucket" and its pipeline_success.flag:
      | file                         | lines |
      | tactical/localstack-<id>.csv | 100   |
    Then stub-hdfs holds "internal/DandARed/inbound/Dataworks/UCFS/tactical/localstack-<id>.csv" with the same bytes as "tactical/localstack-<id>.csv"

  Scenario: A message that is not JSON ends in LocalStack's dead-letter queue with its reason
    When a message whose body is not JSON is sent straight to the egress queue
    Then within 30 seconds the dead-letter queue holds that message with a reason mentioning "JSON"
