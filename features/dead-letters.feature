@resilience
Feature: Messages that cannot be delivered are retried, then dead-lettered
  A message is deleted only when every file of every matching rule was delivered. Otherwise it
  comes back after the queue's visibility timeout and is processed again from scratch; after the
  queue's maximum number of receives, SQS moves it to the dead-letter queue. A body that can never
  be processed (not an S3 event at all) goes to the dead-letter queue at once, with the reason
  attached. In the scenarios' environment the visibility timeout is 2 s and a message is received
  at most three times.

  S3 keys and prefixes below are placed under a prefix unique to the scenario (bdd-<id>/).

  Scenario: A message that is not JSON ends in the dead-letter queue with its reason
    When a message whose body is not JSON is sent straight to the egress queue
    Then within 30 seconds the dead-letter queue holds that message with a reason mentioning "JSON"

  Scenario: A file that keeps failing makes the message retry, then move to the dead-letter queue
    Given there is no bucket "missing-<id>"
    And the routing rule:
      | source_prefix      | doomed/       |
      | pipeline_name      | DOOMED        |
      | recipient_name     | nobody        |
      | transfer_type      | S3            |
      | source_bucket      | source        |
      | destination_bucket | missing-<id>  |
      | destination_prefix | doomed/       |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file              |
      | doomed/report.csv |
    Then within 30 seconds the dead-letter queue holds the flag's message
    And the pipeline tried the flag's message at least 2 times, failing each time
    And the metrics page counts at least 2 files that failed to send with the labels:
      | source_prefix      | doomed/ |
      | pipeline_name      | DOOMED  |
      | destination_prefix | doomed/ |
      | recipient          | nobody  |
      | transfer_type      | S3      |

  Scenario: A destination bucket created after a failure receives the files on the retry
    Given there is no bucket "later-<id>"
    And the routing rule:
      | source_prefix      | patient/     |
      | pipeline_name      | PATIENT      |
      | recipient_name     | latecomer    |
      | transfer_type      | S3           |
      | source_bucket      | source       |
      | destination_bucket | later-<id>   |
      | destination_prefix | patient/     |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file               |
      | patient/report.csv |
    And the first delivery attempt has failed because the bucket "later-<id>" does not exist
    And the bucket "later-<id>" is created
    Then recipient "latecomer" receives in "later-<id>":
      | key                | content                    |
      | patient/report.csv | same as patient/report.csv |
    And the flag's message is deleted as "completed"
