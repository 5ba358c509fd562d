@rules
Feature: Routing rules decide where a flag's data goes
  Each item of the DynamoDB table data-egress is a routing rule. A rule matches a flag when the
  flag's key starts with the rule's source_prefix (after $TODAYS_DATE and one trailing * are
  resolved). Every matching rule fires; a flag that matches no rule is acknowledged with a warning
  and nothing is sent. A rule whose columns have the wrong type is reported and takes no action.

  Every scenario works in an area of its own: the S3 keys and prefixes below are placed under a
  prefix unique to the scenario (bdd-<id>/).

  Scenario: Every rule whose prefix matches the flag fires
    Given the routing rules:
      | source_prefix  | pipeline_name | recipient_name | transfer_type | source_bucket | destination_bucket     | destination_prefix |
      | overlap/       | WHOLE_FEED    | warehouse      | S3            | source        | destination            | whole/             |
      | overlap/daily/ | DAILY_FEED    | oneservice     | S3            | source        | oneservice-destination | daily/             |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                  |
      | overlap/daily/a.csv   |
    Then recipient "warehouse" receives in "destination":
      | key         | content                     |
      | whole/a.csv | same as overlap/daily/a.csv |
    And recipient "oneservice" receives in "oneservice-destination":
      | key         | content                     |
      | daily/a.csv | same as overlap/daily/a.csv |

  @sft
  Scenario: A "#sft" row sends the same data by SFT as well as by S3
    Given the routing rules:
      | source_prefix | pipeline_name  | recipient_name | transfer_type | source_bucket | destination_bucket | destination_prefix      |
      | twin/         | TWIN_FEED      | warehouse      | S3            | source        | destination        | twin/                   |
      | twin/         | TWIN_FEED#sft  | warehouse      | SFT           | source        |                    | /data-egress/warehouse/ |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                   | lines |
      | twin/twin-<id>.csv     | 20    |
    Then recipient "warehouse" receives in "destination":
      | key                | content                    |
      | twin/twin-<id>.csv | same as twin/twin-<id>.csv |
    And stub-hdfs holds "internal/DandARed/inbound/Dataworks/UCFS/data/twin-<id>.csv" with the same bytes as "twin/twin-<id>.csv"

  Scenario: A flag that matches no rule is acknowledged and nothing is sent
    Given the routing rule:
      | source_prefix      | known/      |
      | pipeline_name      | KNOWN       |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | known-out/  |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file               |
      | unknown/report.csv |
    Then the pipeline reports that no routing rule matches the flag
    And the flag's message is deleted as "no-match"
    And nothing is delivered under "" in "destination"

  Scenario: A flag that arrives after midnight does not match yesterday's dated rule
    Given the routing rule:
      | source_prefix      | late/$TODAYS_DATE/ |
      | pipeline_name      | LATE               |
      | recipient_name     | analytics          |
      | transfer_type      | S3                 |
      | source_bucket      | source             |
      | destination_bucket | destination        |
      | destination_prefix | late-out/          |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                        |
      | late/<yesterday>/report.csv |
    Then the pipeline reports that no routing rule matches the flag
    And the flag's message is deleted as "no-match"
    And nothing is delivered under "late-out/" in "destination"

  Scenario Outline: A routing rule with <problem> is reported and takes no action
    Given the routing rule:
      | source_prefix      | invalid/          |
      | pipeline_name      | INVALID           |
      | recipient_name     | analytics         |
      | transfer_type      | <transfer_type>   |
      | source_bucket      | source            |
      | destination_bucket | destination       |
      | destination_prefix | invalid-out/      |
      | decrypt            | <decrypt>         |
      | compress           | <compress>        |
      | compress_fmt       | <compress_fmt>    |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file               |
      | invalid/report.csv |
    Then the pipeline reports the routing rule "INVALID" as invalid: <reason>
    And the flag's message is deleted as "no-match"
    And nothing is delivered under "invalid-out/" in "destination"

    Examples:
      | problem                                | transfer_type | decrypt | compress | compress_fmt | reason                                  |
      | decrypt stored as the string "true"    | S3            | "true"  | false    |              | decrypt: expected a boolean (BOOL)      |
      | an unknown transfer type               | 3FT           | false   | false    |              | unknown transfer type "3FT"             |
      | compression in an unknown format       | S3            | false   | true     | bz2          | compress_fmt: must be "gz" or "z"       |
