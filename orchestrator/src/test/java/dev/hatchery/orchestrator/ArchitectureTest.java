package dev.hatchery.orchestrator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import java.util.regex.Pattern;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The module rules of the README's module table, checked on the production classes of every module (this module's
 * test classpath holds them all; bench is outside and depends on nothing here). Maven already stops a module from
 * using one it does not declare; these rules also catch a new pom dependency that points the wrong way.
 */
@AnalyzeClasses(packages = "dev.hatchery", importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.DoNotIncludeTestJars.class})
class ArchitectureTest
{
    /** Top to bottom: a module may use only the modules below it; config, at the bottom, uses none of ours. */
    @ArchTest
    static final ArchRule shouldDependOnlyDownwardWhenOneModuleUsesAnother = layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("orchestrator").definedBy("dev.hatchery.orchestrator..")
        .layer("vm-actor").definedBy("dev.hatchery.vm..")
        .layer("devices").definedBy("dev.hatchery.devices..")
        .layer("kernel-cache").definedBy("dev.hatchery.kernel..")
        .layer("kvm").definedBy("dev.hatchery.kvm..")
        .layer("config").definedBy("dev.hatchery.config..")
        .whereLayer("orchestrator").mayNotBeAccessedByAnyLayer()
        .whereLayer("vm-actor").mayOnlyAccessLayers("devices", "kernel-cache", "kvm", "config")
        .whereLayer("devices").mayOnlyAccessLayers("kernel-cache", "kvm", "config")
        .whereLayer("kernel-cache").mayOnlyAccessLayers("kvm", "config")
        .whereLayer("kvm").mayOnlyAccessLayers("config")
        .whereLayer("config").mayNotAccessAnyLayer()
        .because("modules depend only downward in the README's module table; config, the VM spec, depends on none of ours");

    @ArchTest
    static final ArchRule shouldUseJnaOnlyWhenInsideTheKvmModule = noClasses().that().resideOutsideOfPackage("dev.hatchery.kvm..")
        .should().dependOnClassesThat().resideInAPackage("com.sun.jna..")
        .because("kvm is the only module that touches native code; everything else uses its typed wrappers");

    @ArchTest
    static final ArchRule shouldUseAkkaOnlyWhenInsideVmActorOrOrchestrator = noClasses()
        .that().resideOutsideOfPackages("dev.hatchery.vm..", "dev.hatchery.orchestrator..")
        .should().dependOnClassesThat().resideInAPackage("akka..")
        .because("actors live in vm-actor and orchestrator; the modules below them are plain Java");

    @ArchTest
    static final ArchRule shouldReachAVmOnlyThroughItsActorWhenOutsideVmActor = noClasses()
        .that().resideOutsideOfPackage("dev.hatchery.vm..")
        .should().dependOnClassesThat().haveFullyQualifiedName("dev.hatchery.vm.Vm")
        .because("a VM's actor is the only holder of its Vm; everyone else reads the VmSnapshots it publishes or answers with");

    /**
     * Run alone ({@code -pl orchestrator}), Maven puts the kvm and vm-actor test jars from the local repository on the
     * classpath; {@link ImportOption.DoNotIncludeTests} only recognises test-classes folders, so skip those jars too.
     */
    static final class DoNotIncludeTestJars implements ImportOption
    {
        private static final Pattern TEST_JAR = Pattern.compile(".*-tests\\.jar!/.*");

        @Override
        public boolean includes(final Location location)
        {
            return !location.matches(TEST_JAR);
        }
    }
}
