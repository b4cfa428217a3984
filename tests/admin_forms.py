"""Turn a rendered admin change form back into POST data, as a browser would submit it."""

import datetime
from decimal import Decimal


def _serialise(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, (list, tuple)):
        return [_serialise(item) for item in value]
    if isinstance(value, (datetime.date, Decimal, int)):
        return str(value)
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def _form_data(form):
    data = {}
    for name in form.fields:
        value = _serialise(form[name].value())
        if value == "" and form.fields[name].widget.__class__.__name__ == "CheckboxInput":
            continue
        data[form.add_prefix(name)] = value
    return data


def admin_form_data(response, **changes):
    """POST data for the admin form rendered in ``response``, with ``changes`` applied on top."""
    context = response.context
    data = _form_data(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    for key, value in changes.items():
        data[key] = _serialise(value)
    return data


def post_refused_as_saved_meanwhile(client, url, data, colleague):
    """POST ``data`` to the admin change form at ``url``: refused because ``colleague`` (a username) saved
    the record, or a row edited with it, since the form was opened; nothing written. The response."""
    from tests.helpers import database_snapshot

    before = database_snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"该记录已被{colleague}于" in page and "您的修改未保存" in page
    assert database_snapshot() == before
    return response
