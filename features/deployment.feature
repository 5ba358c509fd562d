Feature: Deployed like the original: the canned ACL on every write, and role_arn end to end
  The original writes every S3 object it delivers (data, control file, manifest) with the canned ACL
  bucket-owner-full-control, so the owner of a destination bucket in another account owns what it
  receives. A rule with role_arn makes every destination write, and the SSM read of the re-wrap key,
  with credentials from STS AssumeRole under the session name data-egress; the source is always read
  with the service's own credentials.

  Observed on the wire by the embedded edge (each write's ACL header and signing key, the roles its
  STS handed out) and by the service's AWS call log. On moto, which stores a
  bucket-owner-full-control object with the same grants as a private one when one account owns both
  and does not say which credentials signed a request, the writes and the AssumeRole calls are read
  from the service's call log: what it asked for.

  Scenario: Every S3 write asks for the canned ACL bucket-owner-full-control: data, control file and manifest
    Given the S3 writes are watched
    And the routing rule:
      | source_prefix       | acl/             |
      | pipeline_name       | ACL              |
      | recipient_name      | opsmi            |
      | transfer_type       | S3               |
      | source_bucket       | source           |
      | destination_bucket  | destination      |
      | destination_prefix  | acl-out/         |
      | control_file_prefix | acl.control      |
      | manifest_file_name  | acl-manifest.csv |
    When the pipeline publishes these files to "source" and its pipeline_success.flag:
      | file          | lines |
      | acl/one.csv   | 10    |
      | acl/two.csv   | 20    |
    Then the writes to "destination" under "acl-out/" are exactly these, each asking for the canned ACL "bucket-owner-full-control":
      | key                         |
      | acl-out/one.csv             |
      | acl-out/two.csv             |
      | acl-out/acl.control         |
      | acl-out/acl-manifest.csv.gz |

  Scenario: role_arn: destination writes and the re-wrap key read go through the assumed role, session data-egress
    Given the S3 writes are watched
    And the recipient "rtg" publishes its RSA public key in the SSM parameter "/bdd-<id>/rtg/public-key"
    And the routing rule:
      | source_prefix                | rtg/                                          |
      | pipeline_name                | PDM_RTG                                       |
      | recipient_name               | rtg                                           |
      | transfer_type                | S3                                            |
      | source_bucket                | source                                        |
      | destination_bucket           | destination                                   |
      | destination_prefix           | rtg-out/                                      |
      | rewrap_datakey               | true                                          |
      | encrypting_key_ssm_parm_name | /bdd-<id>/rtg/public-key                      |
      | role_arn                     | arn:aws:iam::123456789012:role/rtg-<id>       |
      | control_file_prefix          | rtg.control                                   |
      | manifest_file_name           | rtg-manifest.csv                              |
      | manifest_file_encryption     | re-wrapped                                    |
    When the pipeline publishes these HTME-encrypted files to "source" and its pipeline_success.flag:
      | file             | data_product | data_product_type |
      | rtg/pdm.csv.enc  | pdm          | full              |
    Then "rtg-out/pdm.csv.enc" in "destination" is the encrypted "rtg/pdm.csv.enc" as published, re-wrapped for "rtg", who decrypts it to the original with its private key
    And the egress service assumed the role "arn:aws:iam::123456789012:role/rtg-<id>" once, with the session name "data-egress"
    And these writes to "destination" were signed with the credentials of "arn:aws:iam::123456789012:role/rtg-<id>":
      | key                             |
      | rtg-out/pdm.csv.enc             |
      | rtg-out/rtg.control             |
      | rtg-out/rtg-manifest.csv.gz.enc |
    And the egress service read the SSM parameter "/bdd-<id>/rtg/public-key" with the credentials of "arn:aws:iam::123456789012:role/rtg-<id>"
    And the egress service read the sources in "source" under "rtg/" with its own credentials, not the role's
