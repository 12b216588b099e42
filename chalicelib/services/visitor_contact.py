"""What a visitor tells the team about themselves in the widget: the pre-chat form's or
the away card's name and e-mail address (``POST /widget/contact``; the form itself is
services/prechat.py's).

Kept on the visitor as ``given_name`` and ``given_email``, apart from the identify call's
verified ``user_name``/``user_email``: a typed address is the visitor's word, not the
site's. The widget checks the same shapes first; the server is the source of truth.
"""

from __future__ import annotations

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.errors import BadRequest
from chalicelib.models.visitor import VisitorModel
from chalicelib.services import identity, mail_contact, prechat, validation


def give_contact(caller: VisitorIdentity, body: dict, fanout=None) -> dict:
    """``POST /widget/contact`` ``{name?, email?}``: kept on the visitor; a name also
    renames their open chat (fanned out to the panel like any chat change)."""
    # Both checked before anything is written: a bad field changes nothing.
    name = validation.display_name(body, "name", 100)
    email = validation.optional_email(body, "email")
    if name is None and email is None:
        raise BadRequest("give 'name' or 'email'")
    actions = []
    if name:
        actions += [VisitorModel.given_name.set(name), VisitorModel.name.set(name)]
    if email:
        actions.append(VisitorModel.given_email.set(email))
    visitor = identity.update_visitor(caller, actions, name, fanout)
    return {
        "name": visitor.given_name,
        "email": visitor.given_email,
        "email_known": prechat.email_known(visitor),
        "email_usable": mail_contact.usable_email(visitor),
    }
