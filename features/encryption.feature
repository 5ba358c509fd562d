@crypto
Feature: Encrypted data is decrypted, passed through or re-wrapped, as each rule says
  Most DataWorks producers write HTME-encrypted files: AES-CTR under a data key from the Data Key
  Service (DKS), with the wrapped key, the id of the key that wrapped it and the IV in the object's
  metadata. A rule with decrypt delivers plaintext; a rule without it delivers the encrypted bytes
  with their key metadata, so the recipient can ask the DKS itself; a rule with rewrap_datakey
  re-wraps the data key for the recipient's RSA public key, read from SSM. Files written by the S3
  encryption client (EMRFS client-side encryption) are always decrypted.

  The producer encrypts each file itself with a fresh DKS data key. "same as <file>" below means the
  plaintext the producer encrypted. S3 keys and prefixes are placed under a prefix unique to the
  scenario (bdd-<id>/); in the scenarios' environment a failing message is received twice, 2 s
  apart, and then moved to the dead-letter queue.

  # behaviour §9 scenario 1, with its exact file names
  Scenario: Ten collections of ten encrypted files; the rule for collection 5 decrypts, stamps and announces them
    Given the routing rule:
      | source_prefix       | collections/$TODAYS_DATE/incremental/database.collection5- |
      | pipeline_name       | INTEGRATION_TESTS                                          |
      | recipient_name      | collections                                                |
      | transfer_type       | S3                                                         |
      | source_bucket       | source                                                     |
      | destination_bucket  | destination                                                |
      | destination_prefix  | collections/$TODAYS_DATE/incremental/                      |
      | decrypt             | true                                                       |
      | control_file_prefix | database.collection5-$TODAYS_DATE.control                  |
      | timestamp_files     | true                                                       |
    When the pipeline publishes 10 collections of 10 HTME-encrypted files named "collections/<today>/incremental/database.collection<c>-<f>.csv.enc" to "source", then the flag "collections/<today>/incremental/database.collection5-pipeline_success.flag"
    Then the bucket "destination" holds exactly these keys under "collections/<today>/incremental/":
      | key                                                                |
      | collections/<today>/incremental/database.collection5-0.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-1.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-2.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-3.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-4.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-5.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-6.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-7.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-8.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-9.<ymd>.csv   |
      | collections/<today>/incremental/database.collection5-<ymd>.control |
    And recipient "collections" receives in "destination":
      | key                                                              | content                                                             |
      | collections/<today>/incremental/database.collection5-0.<ymd>.csv | same as collections/<today>/incremental/database.collection5-0.csv.enc |
      | collections/<today>/incremental/database.collection5-9.<ymd>.csv | same as collections/<today>/incremental/database.collection5-9.csv.enc |
    And the control file "collections/<today>/incremental/database.collection5-<ymd>.control" in "destination" lists, one name per line:
      | name                                |
      | database.collection5-0.<ymd>.csv |
      | database.collection5-1.<ymd>.csv |
      | database.collection5-2.<ymd>.csv |
      | database.collection5-3.<ymd>.csv |
      | database.collection5-4.<ymd>.csv |
      | database.collection5-5.<ymd>.csv |
      | database.collection5-6.<ymd>.csv |
      | database.collection5-7.<ymd>.csv |
      | database.collection5-8.<ymd>.csv |
      | database.collection5-9.<ymd>.csv |

  # behaviour §9 scenario 3
  Scenario: A rule with decrypt delivers the plaintext, without key metadata
    Given the routing rule:
      | source_prefix      | htme/       |
      | pipeline_name      | HTME        |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | htme/       |
      | decrypt            | true        |
    When the pipeline publishes these HTME-encrypted files to "source" and its pipeline_success.flag:
      | file              | lines |
      | htme/htme.csv.enc | 100   |
    Then recipient "analytics" receives in "destination":
      | key           | content                   |
      | htme/htme.csv | same as htme/htme.csv.enc |
    And "htme/htme.csv" in "destination" carries no encryption metadata

  # behaviour §9 scenario 4
  Scenario: A rule without decrypt passes the encrypted file through with its key metadata, and the recipient can decrypt it
    Given the routing rule:
      | source_prefix      | htme_put_encrypted/ |
      | pipeline_name      | HTME_PUT_ENCRYPTED  |
      | recipient_name     | analytics           |
      | transfer_type      | S3                  |
      | source_bucket      | source              |
      | destination_bucket | destination         |
      | destination_prefix | htme_put_encrypted/ |
      | decrypt            | false               |
    When the pipeline publishes these HTME-encrypted files to "source" and its pipeline_success.flag:
      | file                                          | data_product     |
      | htme_put_encrypted/htme_put_encrypted.csv.enc | db.core.contract |
    Then "htme_put_encrypted/htme_put_encrypted.csv.enc" in "destination" is the encrypted "htme_put_encrypted/htme_put_encrypted.csv.enc" as published, with its key metadata, and the Data Key Service decrypts it to the original

  Scenario: A rule with rewrap_datakey re-wraps the data key for the recipient, who decrypts with its private key
    Given the recipient "partner" publishes its RSA public key in the SSM parameter "/bdd-<id>/partner/public-key"
    And the routing rule:
      | source_prefix                | rewrap/                      |
      | pipeline_name                | REWRAP                       |
      | recipient_name               | partner                      |
      | transfer_type                | S3                           |
      | source_bucket                | source                       |
      | destination_bucket           | destination                  |
      | destination_prefix           | partner/                     |
      | rewrap_datakey               | true                         |
      | encrypting_key_ssm_parm_name | /bdd-<id>/partner/public-key |
    When the pipeline publishes these HTME-encrypted files to "source" and its pipeline_success.flag:
      | file                | data_product | data_product_type |
      | rewrap/claims.csv.enc | db.claims    | full              |
      | rewrap/notes.csv.enc  | db.claims    | full              |
    Then "partner/claims.csv.enc" in "destination" is the encrypted "rewrap/claims.csv.enc" as published, re-wrapped for "partner", who decrypts it to the original with its private key
    And "partner/notes.csv.enc" in "destination" is the encrypted "rewrap/notes.csv.enc" as published, re-wrapped for "partner", who decrypts it to the original with its private key

  Scenario: A re-wrap key missing from SSM fails the files with a reason naming the parameter, and the message is retried
    Given the routing rule:
      | source_prefix                | no-key/                 |
      | pipeline_name                | NO_KEY                  |
      | recipient_name               | partner                 |
      | transfer_type                | S3                      |
      | source_bucket                | source                  |
      | destination_bucket           | destination             |
      | destination_prefix           | no-key/                 |
      | rewrap_datakey               | true                    |
      | encrypting_key_ssm_parm_name | /bdd-<id>/nobody/public-key |
    When the pipeline publishes these HTME-encrypted files to "source" and its pipeline_success.flag:
      | file               |
      | no-key/one.csv.enc |
    Then the pipeline reports that "no-key/one.csv.enc" failed because "re-wrap key parameter '/bdd-<id>/nobody/public-key' does not exist in SSM Parameter Store"
    And within 30 seconds the dead-letter queue holds the flag's message
    And the pipeline tried the flag's message at least 2 times, failing each time
    And no file reached "destination" under "no-key/"

  # behaviour §9 scenario 2, and a legacy envelope format
  Scenario: Client-side-encrypted files are decrypted even though the rule does not ask for it
    Given the routing rule:
      | source_prefix      | cse/        |
      | pipeline_name      | CSE         |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | cse/        |
      | decrypt            | false       |
    When the pipeline publishes these client-side-encrypted files to "source" and its pipeline_success.flag:
      | file           | format |
      | cse/cse.csv    | V2     |
      | cse/legacy.csv | V1     |
    Then recipient "analytics" receives in "destination":
      | key            | content                |
      | cse/cse.csv    | same as cse/cse.csv    |
      | cse/legacy.csv | same as cse/legacy.csv |
    And "cse/cse.csv" in "destination" carries no encryption metadata

  @embedded-only @resilience
  Scenario: The Data Key Service fails twice, then recovers, and the file is delivered
    Given the routing rule:
      | source_prefix      | flaky/      |
      | pipeline_name      | FLAKY       |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | flaky/      |
      | decrypt            | true        |
    And the pipeline publishes these HTME-encrypted files to "source", without the flag yet:
      | file               |
      | flaky/report.csv.enc |
    And the Data Key Service answers the next 2 requests with 503
    When the pipeline publishes only the flag "flaky/pipeline_success.flag" to "source"
    Then recipient "analytics" receives in "destination":
      | key              | content                      |
      | flaky/report.csv | same as flaky/report.csv.enc |
    And the flag's message is deleted as "completed"
    And the Data Key Service answered the egress service's decrypt requests with "503, 503, 200"

  @resilience
  Scenario: A data key the Data Key Service refuses fails that file; the message is retried, then dead-lettered
    Given the routing rule:
      | source_prefix      | refused/    |
      | pipeline_name      | REFUSED     |
      | recipient_name     | analytics   |
      | transfer_type      | S3          |
      | source_bucket      | source      |
      | destination_bucket | destination |
      | destination_prefix | refused/    |
      | decrypt            | true        |
    When the pipeline publishes these HTME-encrypted files to "source" and its pipeline_success.flag:
      | file                 | data key        |
      | refused/good.csv.enc | valid           |
      | refused/bad.csv.enc  | not unwrappable |
    Then the pipeline reports that "refused/bad.csv.enc" failed because "data key service returned status code '400'"
    And recipient "analytics" receives in "destination":
      | key              | content                      |
      | refused/good.csv | same as refused/good.csv.enc |
    And within 30 seconds the dead-letter queue holds the flag's message
    And the pipeline tried the flag's message at least 2 times, failing each time
