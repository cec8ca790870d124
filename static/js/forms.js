// Inline errors on a form: one message per field plus one for the whole form.

export function clearErrors(form) {
  for (const element of form.querySelectorAll("[data-field-error]")) element.textContent = "";
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  const formError = form.querySelector("[data-form-error]");
  if (formError) {
    formError.textContent = "";
    formError.hidden = true;
  }
}

// Shows field messages next to their controls; anything without a control goes to the form error.
export function showErrors(form, message, fields = {}) {
  const leftovers = [];
  let first = null;
  for (const [name, text] of Object.entries(fields)) {
    const slot = form.querySelector(`[data-field-error="${CSS.escape(name)}"]`);
    if (!slot) {
      leftovers.push(text);
      continue;
    }
    slot.textContent = text;
    const control = form.elements.namedItem(name);
    const controls = control instanceof RadioNodeList ? [...control] : control ? [control] : [];
    for (const c of controls) c.setAttribute("aria-invalid", "true");
    first ||= controls[0] || null;
  }
  const formError = form.querySelector("[data-form-error]");
  const summary = [message, ...leftovers].filter(Boolean).join(" ");
  if (formError && summary) {
    formError.textContent = summary;
    formError.hidden = false;
  }
  if (first) first.focus();
  else if (formError && summary) formError.focus?.();
}

export function setBusy(button, busy, busyLabel) {
  if (!button) return;
  if (busy) {
    button.dataset.label ||= button.textContent;
    button.textContent = busyLabel;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  } else {
    button.textContent = button.dataset.label || button.textContent;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
