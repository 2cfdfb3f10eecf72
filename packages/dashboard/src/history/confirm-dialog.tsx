// A modal confirmation: the native <dialog> opened with showModal(), so focus moves into it and
// is kept there, Escape cancels, and it is role=dialog named by its heading (aria-labelledby).
// Rendered only while open: mounting opens it, unmounting closes it. Used by the history's
// rollback and the rollout's abort. The focus starts on the element marked data-initial-focus
// (their Cancel), not on the first button (the destructive one): a double Enter must not
// roll back or abort (WAI-ARIA alertdialog pattern).
import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'

export function ConfirmDialog(props: {
  /** The heading's id (unique on the page). */
  id: string
  title: string
  /** Told when the dialog closes without the action (Escape, Cancel). */
  onCancel: () => void
  children: ComponentChildren
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const onCancel = useRef(props.onCancel)
  onCancel.current = props.onCancel
  useEffect(() => {
    const dialog = ref.current
    if (dialog === null) return
    // Focus goes back where it was (the button that opened it) when the dialog goes.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (!dialog.open) dialog.showModal()
    dialog.querySelector<HTMLElement>('[data-initial-focus]')?.focus()
    return () => {
      if (dialog.open) dialog.close()
      opener?.focus()
    }
  }, [])
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby={props.id}
      onCancel={(e) => {
        e.preventDefault()
        onCancel.current()
      }}
    >
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </dialog>
  )
}
