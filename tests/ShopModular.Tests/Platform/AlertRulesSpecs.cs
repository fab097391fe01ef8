using System.Diagnostics;
using ShopModular.Tests.Infrastructure;

namespace ShopModular.Tests.Platform;

/// <summary>The deployment's alert rules, checked by the Debian package's promtool (installed by ./shop test).</summary>
public sealed class AlertRulesSpecs
{
    private static readonly string Deploy = Path.Combine(Repository.Root(), "deploy", "prometheus");

    [Fact]
    public async Task the_alert_rules_are_valid_and_the_deployed_configuration_loads_them()
    {
        var (rulesExit, rulesOutput) = await PromtoolAsync("check", "rules", Path.Combine(Deploy, "alerts.yml"));
        Assert.True(rulesExit == 0, rulesOutput);
        Assert.Contains("SUCCESS: 4 rules found", rulesOutput, StringComparison.Ordinal);

        // The configuration names the rules file, so Prometheus loads it (and promtool checks it again from there).
        var (configExit, configOutput) = await PromtoolAsync("check", "config", Path.Combine(Deploy, "prometheus.yml"));
        Assert.True(configExit == 0, configOutput);
        Assert.Contains("alerts.yml", configOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_stuck_saga_dead_letter_and_waiting_message_alerts_fire_on_their_series_and_stay_quiet_without_them()
    {
        var work = Directory.CreateTempSubdirectory("alerts-");
        try
        {
            File.Copy(Path.Combine(Deploy, "alerts.yml"), Path.Combine(work.FullName, "alerts.yml"));
            var tests = Path.Combine(work.FullName, "alerts-test.yml");
            await File.WriteAllTextAsync(tests, """
                rule_files: [alerts.yml]
                evaluation_interval: 1m
                tests:
                  - interval: 1m
                    input_series:
                      - series: 'shop_orders_timed_out_total{app="orders", instance="o1"}'
                        values: '0 0 1 1 1'
                      - series: 'shop_orders_stuck{app="orders", instance="o1"}'
                        values: '2x15'
                      - series: 'shop_dead_letters{app="users", instance="u1"}'
                        values: '1x10'
                      - series: 'shop_outbox_oldest_seconds{app="products", instance="p1"}'
                        values: '0+60x15'
                      - series: 'shop_inbox_oldest_seconds{app="products", instance="p1"}'
                        values: '0x15'
                      - series: 'shop_outbox_oldest_seconds{app="users", instance="u1"}'
                        values: '0.2x15'
                    alert_rule_test:
                      - eval_time: 4m
                        alertname: OrdersTimingOut
                        exp_alerts:
                          - exp_labels: { severity: warning }
                            exp_annotations:
                              summary: 1 order(s) timed out in the last 15 minutes
                              description: Orders stayed Pending past Shop:Orders:SagaTimeout and were cancelled (TimedOut), their stock and points given back. Look at the dead letters (GET /api/{module}/dead-letters).
                      - eval_time: 12m
                        alertname: OrdersStuck
                        exp_alerts:
                          - exp_labels: { severity: critical }
                            exp_annotations:
                              summary: 2 order(s) Pending past the saga timeout
                              description: The saga watchdog is not ending orders older than Shop:Orders:SagaTimeout; check the Orders processes' logs and their database.
                      - eval_time: 8m
                        alertname: DeadLetters
                        exp_alerts:
                          - exp_labels: { severity: warning, app: users, instance: u1 }
                            exp_annotations:
                              summary: users has 1 dead letter(s)
                              description: Messages failed after their retries. List them with GET /api/users/dead-letters and replay them once the cause is fixed.
                      - eval_time: 9m
                        alertname: MessagesNotMoving
                        exp_alerts: []
                      - eval_time: 11m
                        alertname: MessagesNotMoving
                        exp_alerts:
                          - exp_labels: { severity: critical, app: products, instance: p1 }
                            exp_annotations:
                              summary: products has had a message waiting for 11m 0s
                              description: "The oldest envelope in products's durable outbox or inbox has waited over 5 minutes: check the broker (/health/ready), the process's log and its database."
                """);

            var (exit, output) = await PromtoolAsync("test", "rules", tests);

            Assert.True(exit == 0, output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<(int Exit, string Output)> PromtoolAsync(params string[] arguments)
    {
        using var promtool = Process.Start(new ProcessStartInfo("promtool", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = promtool.StandardOutput.ReadToEndAsync();
        var error = promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        return (promtool.ExitCode, await output + await error);
    }
}
