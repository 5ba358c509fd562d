@manifest
Feature: Manifests list what was delivered, in plaintext, encrypted or re-wrapped
  A rule with a manifest_file_name also delivers a gzip manifest, after every file of the rule was
  delivered: one line per delivered file, with its name, its size as delivered and today's date.
  Its metadata names the data product (from the source prefix: "…/full/db.core.claimant-" is the
  product "db.core.claimant" of type "full"); the producer's flag is named after the product too. manifest_file_encryption
  "encrypted" encrypts it under the Data Key Service's batch data key, "re-wrapped" (or
  "rewrapped") also re-wraps that key for the recipient's RSA key in SSM; either adds ".enc" to the
  name. SFT manifests are written to the directory of the SFT files, without metadata.

  S3 keys and prefixes are placed under a prefix unique to the scenario (bdd-<id>/); SFT
  directories are used as written.

  Scenario: A plaintext manifest lists the delivered files
    Given the routing rule:
      | source_prefix      | manifests/full/db.core.claimant-                       |
      | pipeline_name      | PLAIN_MANIFEST                                         |
      | recipient_name     | analytics                                              |
      | transfer_type      | S3                                                     |
      | source_bucket      | source                                                 |
      | destination_bucket | destination                                            |
      | destination_prefix | plain/                                                 |
      | decrypt            | true                                                   |
      | manifest_file_name | claimant-manifest-$TODAYS_YYYYMMDD_FORMATTED_DATE.csv |
    When the pipeline publishes these HTME-encrypted files to "source", then the flag "manifests/full/db.core.claimant-pipeline_success.flag":
      | file                                     | lines |
      | manifests/full/db.core.claimant-0001.csv.enc | 10    |
      | manifests/full/db.core.claimant-0002.csv.enc | 20    |
    Then the manifest "plain/claimant-manifest-<ymd>.csv.gz" in "destination" is plain gzip for data product "db.core.claimant" ("full") listing the delivered files:
      | file                            |
      | plain/db.core.claimant-0001.csv |
      | plain/db.core.claimant-0002.csv |

  Scenario: An encrypted manifest is readable with the key from the Data Key Service
    Given the routing rule:
      | source_prefix            | manifests/incremental/db.core.contract- |
      | pipeline_name            | ENCRYPTED_MANIFEST                      |
      | recipient_name           | analytics                               |
      | transfer_type            | S3                                      |
      | source_bucket            | source                                  |
      | destination_bucket       | destination                             |
      | destination_prefix       | encrypted/                              |
      | manifest_file_name       | contract-manifest.csv                   |
      | manifest_file_encryption | encrypted                               |
    When the pipeline publishes these HTME-encrypted files to "source", then the flag "manifests/incremental/db.core.contract-pipeline_success.flag":
      | file                                             |
      | manifests/incremental/db.core.contract-0001.csv.enc |
    Then the manifest "encrypted/contract-manifest.csv.gz.enc" in "destination" is encrypted under a Data Key Service key for data product "db.core.contract" ("incremental") and, decrypted, lists the delivered files:
      | file                                    |
      | encrypted/db.core.contract-0001.csv.enc |

  Scenario: A re-wrapped manifest is readable with the recipient's private key
    Given the recipient "partner" publishes its RSA public key in the SSM parameter "/bdd-<id>/partner/manifest-key"
    And the routing rule:
      | source_prefix                | manifests/rewrapped/db.core.statement- |
      | pipeline_name                | REWRAPPED_MANIFEST                     |
      | recipient_name               | partner                                |
      | transfer_type                | S3                                     |
      | source_bucket                | source                                 |
      | destination_bucket           | destination                            |
      | destination_prefix           | partner/                               |
      | rewrap_datakey               | true                                   |
      | encrypting_key_ssm_parm_name | /bdd-<id>/partner/manifest-key         |
      | manifest_file_name           | statement-manifest.csv                 |
      | manifest_file_encryption     | re-wrapped                             |
    When the pipeline publishes these HTME-encrypted files to "source", then the flag "manifests/rewrapped/db.core.statement-pipeline_success.flag":
      | file                                              |
      | manifests/rewrapped/db.core.statement-0001.csv.enc |
      | manifests/rewrapped/db.core.statement-0002.csv.enc |
    Then the manifest "partner/statement-manifest.csv.gz.enc" in "destination" is encrypted for "partner" for data product "db.core.statement" ("") and, decrypted with its private key, lists the delivered files:
      | file                                   |
      | partner/db.core.statement-0001.csv.enc |
      | partner/db.core.statement-0002.csv.enc |

  Scenario: SFT manifests are written beside the files, plain or encrypted, without metadata
    Given the routing rules:
      | source_prefix                  | pipeline_name       | transfer_type | source_bucket | destination_prefix          | decrypt | manifest_file_name | manifest_file_encryption |
      | manifests/sft/db.core.address- | SFT_PLAIN#sft       | SFT           | source        | /bdd-<id>/sft/plain/        | true    | address.csv        |                          |
      | manifests/sft/db.core.address- | SFT_ENCRYPTED#sft   | SFT           | source        | /bdd-<id>/sft/encrypted/    | true    | address.csv        | encrypted                |
    When the pipeline publishes these HTME-encrypted files to "source", then the flag "manifests/sft/db.core.address-pipeline_success.flag":
      | file                                     |
      | manifests/sft/db.core.address-0001.csv.enc |
    Then the SFT directory "/bdd-<id>/sft/plain/" holds the plain gzip manifest "address.csv.gz" listing the delivered files:
      | file                                            |
      | bdd-<id>/sft/plain/db.core.address-0001.csv.enc |
    And the SFT directory "/bdd-<id>/sft/encrypted/" holds the encrypted manifest "address.csv.gz.enc", which carries no key metadata
