"""Form controls whose labels read whole.

ipywidgets gives every control 300 px and its label 80 px and cuts what does not fit with an
ellipsis ("Rate middle schools agains…", "Subject ar…"): a coordinator cannot tell what a
checkbox does. The forms make their checkboxes, labelled fields and choice buttons here.
"""

from __future__ import annotations

import ipywidgets as w

LABELLED = {"description_width": "7.5em"}  # wide enough for "Subject area", "Ad hoc filter"


def checkbox(description: str, value: object = False) -> w.Checkbox:
    """A checkbox as wide as its label."""
    return w.Checkbox(description=description, value=bool(value), layout=w.Layout(width="auto"))


def labelled(control: type[w.DescriptionWidget], description: str, width: str = "24em", **kwargs) -> w.DescriptionWidget:
    """A field (`w.Dropdown`, `w.Text`, ...) whose label and value both show whole."""
    return control(description=description, style=LABELLED, layout=w.Layout(width=width), **kwargs)


def choice_buttons(options: list, value: object) -> w.ToggleButtons:
    """Buttons for one of a few modes, each as wide as its text."""
    return w.ToggleButtons(options=options, value=value, style={"button_width": "auto"})
