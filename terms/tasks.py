from django_tasks import task

from . import review


@task()
def send_review_note(note_id: int) -> str:
    """Email those a review step concerns: the Publishers of a submission, the editor who
    submitted of an approval or a request for changes."""
    return review.review_note_send(note_id)
