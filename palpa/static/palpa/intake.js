// The health questions: a follow-up question shows only once the answer it follows needs
// it (data-follows="<field name>", data-follows-values="<values>" or any answer). An
// answer already given is never hidden; a hidden follow-up is disabled, so it is not sent,
// and keeps what was typed should the patient change their mind again.
(() => {
  const form = document.querySelector("form");
  if (!form) return;

  const answered = (name, values) => {
    const inputs = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    for (const input of inputs) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked && input.value !== "" && (!values.length || values.includes(input.value))) {
          return true;
        }
      } else if (input.value.trim() !== "" && (!values.length || values.includes(input.value))) {
        return true;
      }
    }
    return false;
  };

  const hasValue = (wrapper) =>
    [...wrapper.querySelectorAll("input, select, textarea")].some((el) =>
      el.type === "checkbox" || el.type === "radio" ? el.checked : el.value.trim() !== "");

  // One entry per follow-up question: its wrapper, the answer it follows, the values.
  const followUps = new Map();
  for (const el of form.querySelectorAll("[data-follows]")) {
    const wrapper = el.closest(".field");
    if (!wrapper || followUps.has(wrapper)) continue;
    const values = (el.dataset.followsValues || "").split(" ").filter(Boolean);
    followUps.set(wrapper, { controller: el.dataset.follows, values });
  }

  // Shown because it was already answered: stays until its own question changes.
  const sticky = new Set([...followUps.keys()].filter(hasValue));

  const update = (changed) => {
    for (const [wrapper, { controller, values }] of followUps) {
      if (changed === controller) sticky.delete(wrapper);
      const show = answered(controller, values) || sticky.has(wrapper);
      wrapper.hidden = !show;
      for (const el of wrapper.querySelectorAll("input, select, textarea")) {
        el.disabled = !show;
      }
    }
  };

  update(null);
  const onChange = (event) => update(event.target.name || null);
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
})();
