// The Application's Kubernetes Events, newest first.
import type { EventView } from "../../api/types";

export function EventsView({ events }: { events: EventView[] }) {
  if (events.length === 0) return <p className="muted">No events.</p>;
  const sorted = [...events].sort((a, b) => (b.lastTimestamp ?? "").localeCompare(a.lastTimestamp ?? ""));
  return (
    <table className="grid events">
      <caption className="visually-hidden">Events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
          <th scope="col">Count</th>
          <th scope="col">Last seen</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((e, i) => (
          <tr key={i} className={e.type === "Warning" ? "warning" : undefined}>
            <td>{e.type}</td>
            <td>{e.reason}</td>
            <td className="wrap">{e.message}</td>
            <td>{e.count ?? 1}</td>
            <td className="small">{e.lastTimestamp ? new Date(e.lastTimestamp).toLocaleString() : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
