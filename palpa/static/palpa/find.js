// "/" anywhere on a staff page (outside a field) jumps to the header's patient search.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) {
    return;
  }
  const field = document.getElementById("find-patient");
  if (!field) return;
  event.preventDefault();
  field.focus();
  field.select();
});
