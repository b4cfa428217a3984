# The administrator's list of API tokens, without their keys (leadership.models.ApiToken).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("leadership", "0003_group_member_name_or_title_constraint"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[],
            options={
                "verbose_name": "API 令牌",
                "verbose_name_plural": "API 令牌",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("authtoken.tokenproxy",),
        ),
    ]
