package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamConfigProperties;

import java.util.Map;

/** What {@link MeterstreamRuntime#sourceSettings} hands on for source {@code usage}, for tests outside the package. */
public final class SourceSettingsProbe {

    public final String pipeline;
    public final Map<String, String> adapterSection;
    public final java.util.List<String> tenants;
    /** What the plugin itself reads from the source's section: its tenants and whether it fails Kill Bill's healthcheck. */
    public final String pluginSettings;

    private SourceSettingsProbe(String pipeline, Map<String, String> adapterSection, java.util.List<String> tenants,
                                boolean failKillbillHealthcheck) {
        this.pipeline = pipeline;
        this.adapterSection = adapterSection;
        this.tenants = tenants;
        this.pluginSettings = "tenants=" + tenants + ", failKillbillHealthcheck=" + failKillbillHealthcheck;
    }

    public static SourceSettingsProbe of(MeterstreamConfigProperties config) {
        MeterstreamRuntime.SourceSettings s = MeterstreamRuntime.sourceSettings(config, "usage");
        return new SourceSettingsProbe(s.pipeline.toString(), s.adapterSection.asMap(), s.tenants, s.failKillbillHealthcheck);
    }
}
