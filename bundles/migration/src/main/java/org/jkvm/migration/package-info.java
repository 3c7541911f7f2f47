/**
 * Pre-copy live migration of a {@link org.jkvm.vmstate.Migratable}: {@link org.jkvm.migration.OutgoingMigration}
 * (the source: {@code migrate URI}), {@link org.jkvm.migration.IncomingMigration} (the destination:
 * {@code -incoming URI}), their statistics and events, the {@link org.jkvm.migration.ConvergencePolicy} and the
 * {@link org.jkvm.migration.RateLimiter}. URIs: {@code tcp:HOST:PORT}, {@code unix:PATH}, {@code exec:COMMAND}.
 * The stream format is specified in {@code docs/migration-stream.md}.
 *
 * <h2>Sequence (tcp and unix, which have a return path)</h2>
 * <pre>
 *  source                                             destination (paused, -incoming)
 *  SETUP    connect ─────────────────────────────────▶ accept
 *           header, CONFIG(fingerprint) ─────────────▶ compare with its own fingerprint
 *           ◀──────────────────────────── CONFIG_OK   (or REFUSED "key: source X, here Y; ..." → both fail,
 *                                                      the source keeps running)
 *  ACTIVE   start dirty log
 *           round 0: RAM records for every page ──────▶ write pages into RAM, check each CRC
 *           ROUND_END 0
 *           sync dirty log, ConvergencePolicy:
 *             go on (maybe throttle) → round n ───────▶ ...
 *             switch over:
 *           pause guest, flush block devices
 *           last dirty pages, ROUND_END, DEVICE sections,
 *           EOF(running, record count, CRC chain) ─────▶ check EOF, restore device state (check-then-apply)
 *           ◀───────────────────────────────── LOADED  (or FAILED "checksum error in ..." → source resumes)
 *           ── the source never resumes after this point ──
 *           handover byte 0xC0 ───────────────────────▶ resume the guest if it ran on the source
 *  COMPLETED source stays paused (postmigrate)         COMPLETED
 * </pre>
 *
 * <p>If the handover byte never arrives, the destination keeps the guest paused and reports FAILED; the source
 * stays paused too. That window (after LOADED) is the seed's "one exception": the source must not resume, since
 * it cannot know whether the destination runs the guest. An operator runs {@code cont} on exactly one side.
 *
 * <h2>exec: (no return path)</h2>
 * The source completes when the whole stream is written and the command exits with status 0; the destination
 * completes (and resumes the guest if it ran on the source) when EOF and every CRC have been checked and the
 * state restored. A failing command (non-zero exit, broken pipe) fails the migration and the source resumes.
 *
 * <h2>Source states</h2>
 * <pre>
 *  SETUP ──▶ ACTIVE ──▶ COMPLETED
 *    │          │
 *    └──────────┴──▶ FAILED | CANCELLED   (source guest resumed if this job paused it)
 * </pre>
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package org.jkvm.migration;
