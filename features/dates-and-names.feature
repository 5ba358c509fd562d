@s3 @naming
Feature: Dates, timestamps and control files name what is delivered
  Routing rules carry date placeholders, evaluated when the flag is processed (UTC):
  $TODAYS_DATE is yyyy-MM-dd in source and destination prefixes, $TODAYS_YYYYMMDD_FORMATTED_DATE is
  yyyyMMdd and $TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE is yyyyMMdd_HHmmss in destination prefixes.
  A rule may insert the date into every delivered file name (timestamp_files) and write a control
  file listing what it delivered. In the tables, <today> is today as yyyy-MM-dd, <ymd> as yyyyMMdd
  and <hhmmss> the time of day at which the pipeline processed the flag.

  # behaviour §9 scenario 5
  Scenario: $TODAYS_DATE in the source and destination prefixes is today's date
    Given the routing rule:
      | source_prefix      | today/$TODAYS_DATE |
      | pipeline_name      | TODAY              |
      | recipient_name     | analytics          |
      | transfer_type      | S3                 |
      | source_bucket      | source             |
      | destination_bucket | destination        |
      | destination_prefix | today/$TODAYS_DATE |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                      |
      | today/<today>/today.csv   |
    Then recipient "analytics" receives in "destination":
      | key                     | content                         |
      | today/<today>/today.csv | same as today/<today>/today.csv |

  Scenario: A rule ending in * lists the dated folder below it
    Given the routing rule:
      | source_prefix      | report/$TODAYS_DATE/* |
      | pipeline_name      | STAR                  |
      | recipient_name     | analytics             |
      | transfer_type      | S3                    |
      | source_bucket      | source                |
      | destination_bucket | destination           |
      | destination_prefix | report/$TODAYS_DATE/  |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                     |
      | report/<today>/cbol.csv  |
    Then recipient "analytics" receives in "destination":
      | key                     | content                         |
      | report/<today>/cbol.csv | same as report/<today>/cbol.csv |

  Scenario: The compact date placeholders are expanded in destination prefixes
    Given the routing rules:
      | source_prefix | pipeline_name | recipient_name | transfer_type | source_bucket | destination_bucket | destination_prefix                                   |
      | compact/      | COMPACT_DAY   | analytics      | S3            | source        | destination        | stamped/$TODAYS_YYYYMMDD_FORMATTED_DATE/             |
      | compact/      | COMPACT_TIME  | analytics      | S3            | source        | destination        | stamped/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE/      |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file               |
      | compact/report.csv |
    Then recipient "analytics" receives in "destination":
      | key                               | content                    |
      | stamped/<ymd>/report.csv          | same as compact/report.csv |
      | stamped/<ymd>_<hhmmss>/report.csv | same as compact/report.csv |

  Scenario: timestamp_files puts today's date in front of each file's extensions
    Given the routing rule:
      | source_prefix      | stamp/      |
      | pipeline_name      | STAMP       |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | stamp-out/  |
      | timestamp_files    | true        |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file                       |
      | stamp/report.csv           |
      | stamp/export.txt.gz        |
      | stamp/no-extension         |
      | stamp/data.json            |
    Then the bucket "destination" holds exactly these keys under "stamp-out/":
      | key                             |
      | stamp-out/report.<ymd>.csv      |
      | stamp-out/export.<ymd>.txt.gz   |
      | stamp-out/no-extension.<ymd>    |
      | stamp-out/data.json.<ymd>       |
    And recipient "analytics" receives in "destination":
      | key                        | content                  |
      | stamp-out/report.<ymd>.csv | same as stamp/report.csv |

  # behaviour §9 scenario 1, with plain files (the encrypted variant is in the encryption features)
  Scenario: A collection's flag sends only that collection's files, timestamped, and a control file listing them
    Given the routing rule:
      | source_prefix      | collections/$TODAYS_DATE/incremental/database.collection5- |
      | pipeline_name      | INTEGRATION_TESTS                                          |
      | recipient_name     | recipient                                                  |
      | transfer_type      | S3                                                         |
      | source_bucket      | source                                                     |
      | destination_bucket | destination                                                |
      | destination_prefix | collections/$TODAYS_DATE/incremental/                      |
      | timestamp_files    | true                                                       |
      | control_file_prefix| database.collection5-$TODAYS_DATE.control                  |
    When the pipeline publishes these files to "source" and then the flag "collections/<today>/incremental/database.collection5-pipeline_success.flag":
      | file                                                |
      | collections/<today>/incremental/database.collection4-0.csv |
      | collections/<today>/incremental/database.collection5-0.csv |
      | collections/<today>/incremental/database.collection5-1.csv |
      | collections/<today>/incremental/database.collection5-2.csv |
      | collections/<today>/incremental/database.collection6-0.csv |
    Then the bucket "destination" holds exactly these keys under "collections/<today>/incremental/":
      | key                                                           |
      | collections/<today>/incremental/database.collection5-0.<ymd>.csv |
      | collections/<today>/incremental/database.collection5-1.<ymd>.csv |
      | collections/<today>/incremental/database.collection5-2.<ymd>.csv |
      | collections/<today>/incremental/database.collection5-<ymd>.control |
    And recipient "recipient" receives in "destination":
      | key                                                              | content                                                            |
      | collections/<today>/incremental/database.collection5-1.<ymd>.csv | same as collections/<today>/incremental/database.collection5-1.csv |
    And the control file "collections/<today>/incremental/database.collection5-<ymd>.control" in "destination" lists, one name per line:
      | name                                |
      | database.collection5-0.<ymd>.csv    |
      | database.collection5-1.<ymd>.csv    |
      | database.collection5-2.<ymd>.csv    |
