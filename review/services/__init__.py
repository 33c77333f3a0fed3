"""Writes for reviewing, one module per concern:

- ``decisions``: a reviewer's verdict on a label, accept all, a label a reviewer adds; corroboration.
- ``undo``: taking back a reviewer's last action.
- ``changes`` and ``writes``: what one action changes, written in bulk with its audit events.
- ``queue`` and ``locks``: the next dialogue for a reviewer, and the hold on it.
- ``state``: each dialogue's place in the queue, kept true by every write.
- ``adjudication``: settling disagreements, and how many reviews each label needs.
- ``auto_accept``: a dataset's auto-accept rules, applied when a model writes proposals.

Other apps use reviewing through the names below, never through the modules.
"""

from review.services.adjudication import dataset_required_reviews_set
from review.services.auto_accept import auto_accept_rules_set, review_proposals_written
from review.services.changes import ReviewConflict
from review.services.decisions import review_label_create
from review.services.state import review_state_refresh

__all__ = [
    "ReviewConflict",
    "auto_accept_rules_set",
    "dataset_required_reviews_set",
    "review_label_create",
    "review_proposals_written",
    "review_state_refresh",
]
