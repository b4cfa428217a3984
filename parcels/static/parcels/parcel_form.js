// Show only the fieldset of the parcel's kind (批而未供 or 闲置土地) on the admin form.
// Without JavaScript both fieldsets stay visible, and the server still checks every field.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const kind = document.getElementById("id_kind");
  if (!kind) {
    return;
  }
  function sync() {
    // A fieldset with an error message stays visible so the message can be read.
    document.querySelectorAll("fieldset.kind-unsupplied").forEach(function (fieldset) {
      fieldset.hidden = kind.value === "idle" && !fieldset.querySelector(".errorlist");
    });
    document.querySelectorAll("fieldset.kind-idle").forEach(function (fieldset) {
      fieldset.hidden = kind.value === "unsupplied" && !fieldset.querySelector(".errorlist");
    });
  }
  kind.addEventListener("change", sync);
  sync();
});
