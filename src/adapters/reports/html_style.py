"""The stylesheet of report.html, kept apart so the page builder reads as structure."""

STYLE = """
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--right:#16a34a;--wrong:#dc2626;
--partial:#d97706;--unknown:#64748b;--failed:#7f1d1d;--skipped:#cbd5e1;--accent:#2563eb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg)}
header#summary{padding:28px 32px 20px;background:linear-gradient(135deg,#0f172a,#1e3a8a);color:#fff}
h1{margin:0 0 4px;font-size:24px;font-weight:650}
.sub{margin:0 0 18px;color:#c7d2fe}
.stopped{background:#fef3c7;color:#78350f;padding:8px 12px;border-radius:8px;display:inline-block}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
.kpi{background:rgba(255,255,255,.09);border:1px solid rgba(255,255,255,.16);border-radius:12px;padding:12px 14px;
display:flex;flex-direction:column}
.kpi .label{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#c7d2fe}
.kpi .value{font-size:22px;white-space:nowrap;font-weight:700;margin:2px 0;font-variant-numeric:tabular-nums}
.kpi .detail{font-size:12px;color:#e0e7ff}
.kpi.accent{background:#fff;color:var(--fg)}.kpi.accent .label,.kpi.accent .detail{color:var(--muted)}
.kpi.accent .value{color:var(--accent);font-size:30px}
.kpi.bad{border-color:#fca5a5;background:rgba(220,38,38,.25)}
main{padding:8px 32px 40px;max-width:1500px}
h2{font-size:18px;margin:26px 0 10px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:4px 20px 18px;margin:18px 0}
.map{display:flex;flex-wrap:wrap;gap:3px}
.cell{display:inline-block;width:14px;height:14px;border-radius:3px;background:var(--skipped)}
.cell.right{background:var(--right)}.cell.wrong{background:var(--wrong)}.cell.partial{background:var(--partial)}
.cell.unknown{background:var(--unknown)}.cell.failed{background:var(--failed)}
.legend{color:var(--muted);font-size:12px;margin:10px 0 0}.key{margin-right:14px}
.key .cell{width:11px;height:11px;vertical-align:-1px;margin-right:4px}
.charts{display:flex;flex-wrap:wrap;gap:18px}
.chart{max-width:100%;height:auto;background:#fff}
.chart .ct{font-weight:600;font-size:13px;fill:var(--fg)}
.chart .tick{font-size:11px;fill:var(--muted)}.chart .axis{font-size:11px;fill:var(--muted)}
.chart .gridline{stroke:#eef2f7}.chart .axisline{stroke:#94a3b8}
.warnings{margin:6px 0 12px;padding-left:20px;color:#92400e}
table.failures{border-collapse:collapse;min-width:360px}
table.failures td,table.failures th{border-bottom:1px solid var(--line);padding:5px 10px;text-align:left}
article.task{border:1px solid var(--line);border-left:6px solid var(--skipped);border-radius:10px;padding:10px 16px;
margin:14px 0;background:#fff}
article.task.right{border-left-color:var(--right)}article.task.wrong{border-left-color:var(--wrong)}
article.task.partial{border-left-color:var(--partial)}article.task.failed{border-left-color:var(--failed)}
article.task.unknown{border-left-color:var(--unknown)}
article.task>header{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap}
article.task h3{margin:0;font:600 16px ui-monospace,SFMono-Regular,Menlo,monospace}
.badge{font-size:12px;font-weight:600;padding:2px 8px;border-radius:999px;background:var(--skipped);
color:#fff}
.badge.right{background:var(--right)}.badge.wrong{background:var(--wrong)}.badge.partial{background:var(--partial)}
.badge.failed{background:var(--failed)}.badge.unknown{background:var(--unknown)}.badge.skipped{color:var(--fg)}
.meta,.muted{color:var(--muted);font-size:12px}
h4{margin:10px 0 6px;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.pairs,.row{display:flex;flex-wrap:wrap;gap:14px;align-items:center}
.pair{display:flex;align-items:center;gap:6px;padding:6px;border:1px solid var(--line);border-radius:8px;
background:#fafafa}
.arrow{color:var(--muted);font-size:18px}
figure{margin:0;display:flex;flex-direction:column;align-items:center;gap:4px;max-width:220px}
figcaption{font-size:11px;color:var(--muted);text-align:center}
svg.grid{display:block;border-radius:2px;box-shadow:0 0 0 1px #cbd5e1}
svg.grid .gl{stroke:#555;stroke-width:.5px;vector-effect:non-scaling-stroke;fill:none}
figure.attempt{padding:5px;border-radius:8px;border:2px dashed var(--line)}
figure.attempt.right{border:2px solid var(--right);background:#f0fdf4}
figure.attempt.wrong{border:2px solid var(--wrong);background:#fef2f2}
figure.attempt.right figcaption{color:var(--right);font-weight:600}
figure.attempt.wrong figcaption{color:var(--wrong);font-weight:600}
figure.expected{padding:5px;border-radius:8px;border:2px solid #94a3b8;background:#f8fafc}
.src{font-weight:400;color:var(--muted)}
.sure{font-weight:600;color:#fff;background:var(--accent);border-radius:4px;padding:0 4px}
.expl{display:block;font-weight:400;color:var(--fg);font-style:italic;max-width:210px}
.error{color:var(--wrong);font-family:ui-monospace,monospace;font-size:12px;margin:6px 0}
div.ttt{display:flex;flex-wrap:wrap;align-items:center;gap:6px 22px;font-size:12px;background:#eff6ff;
border-radius:8px;padding:8px 12px;margin:10px 0 4px}
div.ttt .head{font-weight:700;color:var(--accent)}
div.ttt .fig{display:flex;flex-direction:column}div.ttt .fig span{color:var(--muted)}
div.ttt .fig b{font-variant-numeric:tabular-nums}
"""
