"""The business rules of Wild Rydes: the fleet, rides, parsing, errors and
retries. Standard library only: no AWS SDK, no Chalice. Storage and remote
calls come in through the small interfaces declared here
(`fleet_store.FleetStore`, `fleet_client.FleetTransport`), implemented in
`shared.adapters`."""
