"""The JSON API's own records: the API tokens callers authenticate with, and the idempotency
keys whose first answer a POST replays. No ticket or setting is needed to keep them."""
