package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.killbill.MeterstreamConfigProperties;

import java.util.Map;

/** What {@link MeterstreamRuntime#sourceSettings} hands on for source {@code usage}, for tests outside the package. */
public final class SourceSettingsProbe {

    public final String pipeline;
    public final Map<String, String> adapterSection;

    private SourceSettingsProbe(String pipeline, Map<String, String> adapterSection) {
        this.pipeline = pipeline;
        this.adapterSection = adapterSection;
    }

    public static SourceSettingsProbe of(MeterstreamConfigProperties config, BrokerSourceFactories factories) {
        MeterstreamRuntime.SourceSettings s = MeterstreamRuntime.sourceSettings(config, "usage", factories);
        return new SourceSettingsProbe(s.pipeline.toString(), s.adapterSection.asMap());
    }
}
