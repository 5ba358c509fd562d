@s3
Feature: A flag's data is delivered to another S3 bucket
  A producer writes data files under a prefix of a source bucket, then a pipeline_success.flag in
  the same folder. S3 notifies the egress queue; the egress service finds the routing rules whose
  source_prefix matches the flag, lists the rule's prefix and sends every file to the rule's
  destination bucket under its destination_prefix, compressed if the rule says so.

  Every scenario works in an area of its own: the S3 keys and prefixes below are placed under a
  prefix unique to the scenario (bdd-<id>/), so scenarios never see each other's files.

  Scenario: Files are copied byte for byte
    Given the routing rule:
      | source_prefix      | plain/      |
      | pipeline_name      | PLAIN_COPY  |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | delivered/  |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file               | lines |
      | plain/report.csv   | 100   |
      | plain/summary.csv  | 3     |
    Then recipient "analytics" receives in "destination":
      | key                   | content                   |
      | delivered/report.csv  | same as plain/report.csv  |
      | delivered/summary.csv | same as plain/summary.csv |
    And the bucket "destination" holds exactly these keys under "delivered/":
      | key                   |
      | delivered/report.csv  |
      | delivered/summary.csv |

  Scenario: Files in sub-folders are delivered; the flag and folder markers are not
    Given the routing rule:
      | source_prefix      | nested/     |
      | pipeline_name      | NESTED      |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | flat/       |
    When the pipeline publishes these files to "source" and then the flag "nested/pipeline_success.flag":
      | file                    |
      | nested/top.csv          |
      | nested/2026/            |
      | nested/2026/11/deep.csv |
    Then the bucket "destination" holds exactly these keys under "flat/":
      | key           |
      | flat/deep.csv |
      | flat/top.csv  |
    And recipient "analytics" receives in "destination":
      | key           | content                         |
      | flat/deep.csv | same as nested/2026/11/deep.csv |

  # behaviour §9 scenario 6
  Scenario: A rule that asks for gz compression delivers gzip files named .gz
    Given the routing rule:
      | source_prefix      | gz/         |
      | pipeline_name      | GZ          |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | gz/         |
      | compress           | true        |
      | compress_fmt       | gz          |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file      | lines |
      | gz/gz.csv | 100   |
    Then recipient "analytics" receives in "destination":
      | key          | content          |
      | gz/gz.csv.gz | gzip of gz/gz.csv |

  # behaviour §9 scenario 7, without the original's zero padding (a complete zlib stream)
  Scenario: A rule that asks for z compression delivers zlib streams named .z
    Given the routing rule:
      | source_prefix      | z/          |
      | pipeline_name      | Z           |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | z/          |
      | compress           | true        |
      | compress_fmt       | z           |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file    | lines |
      | z/z.csv | 100   |
      | z/one.csv | 1   |
    Then recipient "analytics" receives in "destination":
      | key         | content           |
      | z/z.csv.z   | zlib of z/z.csv   |
      | z/one.csv.z | zlib of z/one.csv |

  Scenario: A compression format without compress adds no suffix and changes nothing
    Given the routing rule:
      | source_prefix      | fmt-only/   |
      | pipeline_name      | FMT_ONLY    |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | fmt-only/   |
      | compress           | false       |
      | compress_fmt       | gz          |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                |
      | fmt-only/report.csv |
    Then the bucket "destination" holds exactly these keys under "fmt-only/":
      | key                 |
      | fmt-only/report.csv |
    And recipient "analytics" receives in "destination":
      | key                 | content                     |
      | fmt-only/report.csv | same as fmt-only/report.csv |

  Scenario: Keys with spaces and non-ASCII characters arrive URL-encoded in the event and are still delivered
    Given the routing rule:
      | source_prefix      | daily report/ü/ |
      | pipeline_name      | UNICODE         |
      | recipient_name     | analytics       |
      | transfer_type      | S3              |
      | source_bucket      | source          |
      | destination_bucket | destination     |
      | destination_prefix | relevé/         |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                                | lines |
      | daily report/ü/données 1+2 (€).csv  | 10    |
    Then recipient "analytics" receives in "destination":
      | key                         | content                                    |
      | relevé/données 1+2 (€).csv  | same as daily report/ü/données 1+2 (€).csv |

  @slow
  Scenario: Every one of 1,500 files under one prefix is delivered (the original stopped at 1,000)
    Given the routing rule:
      | source_prefix      | bulk/       |
      | pipeline_name      | BULK        |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | bulk-out/   |
    When the pipeline publishes 1500 files under "bulk/" to "source" and its pipeline_success.flag
    Then all 1500 files are delivered to "destination" under "bulk-out/", byte for byte
    And the flag's message is deleted as "completed"
