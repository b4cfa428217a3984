"""What the apps' REST APIs share: fields, errors, permissions, pagination, schema."""
