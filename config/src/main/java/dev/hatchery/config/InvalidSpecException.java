package dev.hatchery.config;

/** A VM spec or setting that cannot be used: names the field, the offending value and how to fix it. */
public final class InvalidSpecException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final SpecField field;

    public InvalidSpecException(final SpecField field, final String value, final String fix)
    {
        super("invalid " + field.cliName() + ": " + value + ": " + fix);
        this.field = field;
    }

    public SpecField field()
    {
        return field;
    }
}
