"""The two ways rides reaches the fleet; pick one with `UNICORN_TRANSPORT`."""
