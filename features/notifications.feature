@notifications
Feature: A flag upload raises an S3 event on SQS
  The pipeline starts when a producer uploads a pipeline_success.flag: S3 sends an event
  notification to the egress queue. On the sandbox's AWS endpoint any client can set such
  a notification, exactly as on AWS, and receives the standard S3 event JSON.

  Background:
    Given a landing bucket that notifies its own queue of "s3:ObjectCreated:*" for keys ending "pipeline_success.flag"

  Scenario: The queue first receives S3's test event
    Then the queue receives an "s3:TestEvent" for the landing bucket

  # moto encodes the key's "/" as %2F where S3 keeps it (docs/targets.md, @moto-gap).
  @moto-gap
  Scenario: A flag upload raises an ObjectCreated event with its key URL-encoded
    When the producer uploads "daily report/ü/pipeline_success.flag" to the landing bucket
    Then the queue receives an "ObjectCreated:Put" event whose key reads "daily+report/%C3%BC/pipeline_success.flag"
    And that key decodes to "daily report/ü/pipeline_success.flag"

  Scenario: Data files raise no event, only the flag does
    When the producer uploads "daily/part-0000.csv" to the landing bucket
    And the producer uploads "daily/part-0001.csv" to the landing bucket
    And the producer uploads "daily/pipeline_success.flag" to the landing bucket
    Then the only object event on the queue is for "daily/pipeline_success.flag"

  Scenario: A large flag uploaded in parts raises a CompleteMultipartUpload event
    When the producer uploads a 6 MiB "bulk/pipeline_success.flag" in parts to the landing bucket
    Then the queue receives an "ObjectCreated:CompleteMultipartUpload" event for "bulk/pipeline_success.flag"
