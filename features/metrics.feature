@metrics
Feature: The egress service counts what it sends
  The service serves Prometheus metrics at the URL sandbox.json names (metrics.url). As in the
  original, data_egress_files_sent_success_total and data_egress_files_sent_failure_total count
  files, labelled with the rule's source_prefix, pipeline_name, destination_prefix (dates
  expanded), recipient and transfer_type. Both counters exist from the start.

  S3 keys and prefixes below are placed under a prefix unique to the scenario (bdd-<id>/).

  Scenario: Both file counters are on the metrics page
    Then the metrics page declares the counters:
      | data_egress_files_sent_success_total |
      | data_egress_files_sent_failure_total |

  # behaviour §9 scenario 9 (the original pushed to a Pushgateway; here the page is read directly)
  Scenario: Delivered files are counted with the rule's labels
    Given the routing rule:
      | source_prefix      | counted/$TODAYS_DATE/  |
      | pipeline_name      | COUNTED                |
      | recipient_name     | statistician           |
      | transfer_type      | S3                     |
      | source_bucket      | source                 |
      | destination_bucket | destination            |
      | destination_prefix | counted/$TODAYS_DATE/  |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                  |
      | counted/<today>/a.csv |
      | counted/<today>/b.csv |
      | counted/<today>/c.csv |
    Then the metrics page counts 3 files sent successfully with the labels:
      | source_prefix      | counted/<today>/ |
      | pipeline_name      | COUNTED          |
      | destination_prefix | counted/<today>/ |
      | recipient          | statistician     |
      | transfer_type      | S3               |

  @sft
  Scenario: Files written to the SFT directory are counted as SFT transfers
    Given the routing rule:
      | source_prefix      | counted-sft/            |
      | pipeline_name      | COUNTED#sft             |
      | recipient_name     | statistician            |
      | transfer_type      | SFT                     |
      | source_bucket      | source                  |
      | destination_prefix | /bdd-<id>/counted       |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                 |
      | counted-sft/a.csv    |
    Then the metrics page counts 1 file sent successfully with the labels:
      | source_prefix      | counted-sft/        |
      | pipeline_name      | COUNTED#sft         |
      | destination_prefix | /bdd-<id>/counted   |
      | recipient          | statistician        |
      | transfer_type      | SFT                 |
