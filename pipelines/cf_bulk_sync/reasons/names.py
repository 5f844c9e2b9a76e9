"""Names shared by the sync and the models: the derived texts table and its columns, and the
families a reason falls into."""

from dlt.common.schema.typing import TTableSchemaColumns

TABLE = "failure_reason_texts"
MESSAGES_TABLE = "bulk_job_messages"
COLUMNS: TTableSchemaColumns = {
    "text_hash": {"data_type": "text", "precision": 64, "nullable": False, "primary_key": True},
    "status_message": {"data_type": "text", "nullable": False},
    "failure_reason": {"data_type": "text", "nullable": False},
    # nullable, as every column added after the table's first release: dlt adds it to an
    # existing table whose rows have none, and NOT NULL would refuse every later load. Rows
    # of an earlier rule are derived again (their rule_version is older), filling them.
    "reason_family": {"data_type": "text", "nullable": True},
    "rule_version": {"data_type": "bigint", "nullable": False},
    # the digest of the family mapping the text was derived with (see families)
    "families_hash": {"data_type": "text", "nullable": True},
}

# the families the shipped mapping uses (sql/assertions/accepted_reason_families.sql warns
# about any other a user's mapping brings)
PERMISSION = "permission/auth"
THROTTLING = "throttling/quota"
NOT_FOUND = "not found"
ALREADY_DONE = "already done or duplicate"
EXCLUDED = "excluded by policy"
PROVIDER = "provider error"
OTHER = "other"
FAMILIES = (PERMISSION, THROTTLING, NOT_FOUND, ALREADY_DONE, EXCLUDED, PROVIDER, OTHER)
