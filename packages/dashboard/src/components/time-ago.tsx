// A time as people read it on a dashboard ("12 s ago"), with the exact time on hover and in the
// <time> element's datetime for assistive technology. Re-renders every few seconds.
import { useEffect, useState } from 'preact/hooks'

export function ago(iso: string, now: number): string {
  const ms = now - Date.parse(iso)
  if (!Number.isFinite(ms)) return iso
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s ago`
  const m = Math.round(s / 60)
  if (m < 60) return `${m} min ago`
  const h = Math.round(m / 60)
  if (h < 48) return `${h} h ago`
  return `${Math.round(h / 24)} days ago`
}

export function TimeAgo({ time }: { time: string }) {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000)
    return () => clearInterval(timer)
  }, [])
  return (
    <time dateTime={time} title={new Date(time).toLocaleString()}>
      {ago(time, now)}
    </time>
  )
}
