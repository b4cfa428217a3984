from tests.api.conftest import taiyuan, users  # noqa: F401 - the API matrix's users, reused here
