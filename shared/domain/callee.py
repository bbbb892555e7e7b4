"""A service rides calls synchronously, described by how its failures reach
the rider: one transport (`shared.adapters.transports.invoke`) serves every
such call, the fleet's and the ride history's alike, and words its errors
with the callee's name and classes.

- `error`: it answered with an error, or with something it should not (502);
- `timeout`: it did not answer in time (504);
- `busy`: Lambda kept throttling it past the retries (503);
- `answers`: its expected "no", by the `Code` of a result `{"Code",
  "Message"}` (or the `errorType` of a function error): business outcomes
  that reach the rider as they are, never faults.
"""
from collections.abc import Mapping
from dataclasses import dataclass

from shared.domain import errors
from shared.domain.errors import WildRydesError


@dataclass(frozen=True)
class Callee:
    name: str                                        # as messages name it: 'the fleet'
    error: type[WildRydesError]
    timeout: type[WildRydesError]
    busy: type[WildRydesError]
    answers: Mapping[str, type[WildRydesError]]
    arn_settings: str                                # for the log when its function is missing

    def refusal_in(self, answer: object) -> WildRydesError | None:
        """Its expected "no" carried as a result, as the error rides answers
        with; None for anything else."""
        return errors.refusal_in(answer, self.answers)

    def error_from(self, error_type: object, message: str) -> WildRydesError:
        """The error it reported; anything unknown is its `error`, naming
        nothing of it (its errorType stays in our log)."""
        cls = self.answers.get(error_type) if isinstance(error_type, str) else None
        return self.error(f'{self.name} failed') if cls is None else cls(message)

    def passes_through(self, code: object) -> bool:
        """Whether an error of this code reaches the rider as it is."""
        return code in self.answers
