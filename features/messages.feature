@messages
Feature: Egress messages are S3 event notifications
  The egress queue receives S3's event JSON. Only the keys of ObjectCreated records for a
  pipeline_success.flag count; keys arrive URL-encoded and are decoded. The original's own
  integration tests sent a minimal hand-written body instead of uploading a flag:
  {"Records": [{"s3": {"object": {"key": "<flag key>"}}}]} — that form still works.

  S3 keys and prefixes below are placed under a prefix unique to the scenario (bdd-<id>/).

  Background:
    Given the routing rule:
      | source_prefix      | handmade/   |
      | pipeline_name      | HANDMADE    |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | handmade/   |
    And the producer has written these files to "source":
      | file                 |
      | handmade/report.csv  |

  Scenario: The original tests' minimal message, with no flag uploaded, starts an egress
    When a message with these records is sent straight to the egress queue:
      | eventName | key                             |
      |           | handmade/pipeline_success.flag  |
    Then recipient "analytics" receives in "destination":
      | key                 | content                     |
      | handmade/report.csv | same as handmade/report.csv |
    And that message is deleted as "completed"

  Scenario: A rule named by two flags of one message runs once
    When a message with these records is sent straight to the egress queue:
      | eventName        | key                               |
      | ObjectCreated:Put | handmade/pipeline_success.flag   |
      | ObjectCreated:Put | handmade/a/pipeline_success.flag |
    Then that message is deleted as "completed"
    And the metrics page counts 1 file sent successfully with the labels:
      | source_prefix | handmade/ |
      | pipeline_name | HANDMADE  |

  Scenario: A delete event for a flag sends nothing
    When a message with these records is sent straight to the egress queue:
      | eventName            | key                            |
      | ObjectRemoved:Delete | handmade/pipeline_success.flag |
    Then that message is deleted as "no-flags"
    And nothing is delivered under "handmade/" in "destination"
